//! IndexNow request bodies: `{"host", "key", "keyLocation", "urlList"}`, one
//! per host of the URLs, at most [`MAX_URLS`] URLs each.

use serde::Serialize;
use std::collections::BTreeMap;

/// The protocol's limit of URLs per request.
pub(crate) const MAX_URLS: usize = 10_000;

#[derive(Serialize)]
struct Body<'a> {
    host: &'a str,
    key: &'a str,
    #[serde(rename = "keyLocation")]
    key_location: &'a str,
    #[serde(rename = "urlList")]
    url_list: &'a [&'a str],
}

/// One request: the URLs it submits and its JSON body.
pub(crate) struct Batch {
    /// The URLs in `urlList`.
    pub(crate) urls: Vec<String>,
    /// The JSON body.
    pub(crate) body: Vec<u8>,
}

/// The requests submitting `urls` (each URL once, grouped by host, in
/// order); a URL without a host is left out.
pub(crate) fn bodies(key: &str, key_location: &str, urls: &[String]) -> Vec<Batch> {
    let mut by_host: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for url in urls {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        if let Some(host) = host {
            by_host.entry(host).or_default().push(url);
        }
    }
    let mut out = Vec::new();
    for (host, mut list) in by_host {
        list.sort_unstable();
        list.dedup();
        for chunk in list.chunks(MAX_URLS) {
            let body = Body {
                host: &host,
                key,
                key_location,
                url_list: chunk,
            };
            out.push(Batch {
                urls: chunk.iter().map(|u| (*u).to_owned()).collect(),
                body: serde_json::to_vec(&body).expect("strings serialise"),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_group_by_host_dedupe_and_split_at_the_limit() {
        let mut urls: Vec<String> = (0..MAX_URLS + 1)
            .map(|n| format!("https://www.example.ma/a/{n:05}.html"))
            .collect();
        urls.push("https://www.example.ma/a/00000.html".into());
        urls.push("https://m.example.ma/x.html".into());
        urls.push("not a url".into());
        let bodies = bodies(
            "k3y-k3y-k3y",
            "https://www.example.ma/k3y-k3y-k3y.txt",
            &urls,
        );
        let parsed: Vec<serde_json::Value> = bodies
            .iter()
            .map(|b| serde_json::from_slice(&b.body).unwrap())
            .collect();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[0]["host"], "m.example.ma");
        assert_eq!(parsed[1]["host"], "www.example.ma");
        assert_eq!(parsed[1]["urlList"].as_array().unwrap().len(), MAX_URLS);
        assert_eq!(parsed[2]["urlList"].as_array().unwrap().len(), 1);
        assert_eq!(bodies[2].urls, ["https://www.example.ma/a/10000.html"]);
        assert_eq!(parsed[1]["key"], "k3y-k3y-k3y");
        assert_eq!(
            parsed[1]["keyLocation"],
            "https://www.example.ma/k3y-k3y-k3y.txt"
        );
    }
}
