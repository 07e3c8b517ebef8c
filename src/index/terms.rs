//! Interned terms (sections, tags, authors): slug, display name, member list.
//!
//! A term is a slug; the spellings that fold to it ("États-Unis", "Etats-Unis")
//! are interned too, so an article remembers the spelling it used in four bytes.

use crate::model::slug::slugify;
use std::collections::HashMap;

/// One section, tag or author.
#[derive(Debug, Default, Clone)]
pub(crate) struct Term {
    /// URL slug.
    pub(crate) slug: Box<str>,
    /// (spelling, number of visible articles using it).
    uses: Vec<(u32, u32)>,
    /// Visible articles, oldest first (see `Index::order`).
    pub(crate) members: Vec<u32>,
}

/// The terms of one kind. Terms are never removed, so their numbers stay valid
/// for the life of the index.
#[derive(Debug, Default, Clone)]
pub(crate) struct Terms {
    by_slug: HashMap<Box<str>, u32>,
    list: Vec<Term>,
    by_spelling: HashMap<Box<str>, u32>,
    spellings: Vec<(Box<str>, u32)>,
}

impl Terms {
    /// The same terms and numbers, with no member and no use: what a reloaded
    /// index starts from, so that feed keys name the same feeds as before.
    pub(crate) fn emptied(&self) -> Terms {
        let mut terms = self.clone();
        for t in &mut terms.list {
            t.uses = Vec::new();
            t.members = Vec::new();
        }
        terms
    }

    /// The spelling number of `name`, interning it (and its term) if new.
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(&s) = self.by_spelling.get(name) {
            return s;
        }
        let slug = slugify(name);
        let term = match self.by_slug.get(slug.as_str()) {
            Some(&t) => t,
            None => {
                let t = self.list.len() as u32;
                self.list.push(Term {
                    slug: slug.clone().into(),
                    ..Term::default()
                });
                self.by_slug.insert(slug.into(), t);
                t
            }
        };
        let s = self.spellings.len() as u32;
        self.spellings.push((name.into(), term));
        self.by_spelling.insert(name.into(), s);
        s
    }

    /// The term a spelling belongs to.
    pub(crate) fn term_of(&self, spelling: u32) -> u32 {
        self.spellings[spelling as usize].1
    }

    /// The number of the term with this slug, if any.
    pub(crate) fn find(&self, slug: &str) -> Option<u32> {
        self.by_slug.get(slug).copied()
    }

    /// A term by number.
    pub(crate) fn get(&self, term: u32) -> &Term {
        &self.list[term as usize]
    }

    /// A term by number, to change its members.
    pub(crate) fn get_mut(&mut self, term: u32) -> &mut Term {
        &mut self.list[term as usize]
    }

    /// Capacity of every member list, in entries.
    pub(crate) fn member_capacity(&self) -> usize {
        self.list.iter().map(|t| t.members.capacity()).sum()
    }

    /// Heap held by the terms themselves (slugs, spellings, maps), in bytes.
    pub(crate) fn own_bytes(&self) -> usize {
        use std::mem::size_of;
        let slugs: usize = self
            .list
            .iter()
            .map(|t| 2 * t.slug.len() + t.uses.capacity() * 8)
            .sum();
        let spellings: usize = self.spellings.iter().map(|(s, _)| 2 * s.len()).sum();
        slugs
            + spellings
            + self.list.capacity() * size_of::<Term>()
            + self.spellings.capacity() * size_of::<(Box<str>, u32)>()
            + (self.by_slug.capacity() + self.by_spelling.capacity())
                * (size_of::<(Box<str>, u32)>() + 1)
    }

    /// Number of terms ever seen.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// The display name: the spelling most used among visible articles; on a tie
    /// the greatest string, which prefers accented forms ("États-Unis").
    pub(crate) fn name(&self, term: u32) -> &str {
        match self.display(term) {
            Some(s) => &self.spellings[s as usize].0,
            None => &self.get(term).slug,
        }
    }

    fn display(&self, term: u32) -> Option<u32> {
        let uses = &self.get(term).uses;
        uses.iter()
            .max_by_key(|&&(s, n)| (n, &self.spellings[s as usize].0))
            .map(|&(s, _)| s)
    }

    /// Counts one use more (`delta` = 1) or fewer (-1) of a spelling; whether the
    /// display name of its term changed.
    pub(crate) fn count_use(&mut self, spelling: u32, delta: i32) -> bool {
        let term = self.term_of(spelling);
        let before = self.display(term);
        let uses = &mut self.list[term as usize].uses;
        match uses.iter().position(|&(s, _)| s == spelling) {
            Some(i) => {
                uses[i].1 = uses[i].1.saturating_add_signed(delta);
                if uses[i].1 == 0 {
                    uses.swap_remove(i);
                }
            }
            None if delta > 0 => uses.push((spelling, delta as u32)),
            None => {}
        }
        before != self.display(term)
    }
}
