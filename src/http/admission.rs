//! Connection admission: which connections get one of the limited slots.
//!
//! Owns: the per-address limit (a flood from one address cannot take every
//! slot), the wait for a slot (bounded by the header timeout: a connection that
//! gets none in that time is closed), and making room when every slot is taken
//! (the connection that has held its slot longest is asked to close, gracefully:
//! an idle keep-alive connection closes at once, a request in flight finishes
//! first). Must not: read or answer requests.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// Why a connection was closed without being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Its address already holds `[server] max_connections_per_address`.
    PerAddress,
    /// No slot came free within the header timeout.
    Full,
}

/// The slots and who holds them.
pub(crate) struct Admission {
    slots: Arc<Semaphore>,
    per_address: usize,
    wait: Duration,
    table: Mutex<Table>,
    /// Notified when the last admitted connection leaves.
    all_gone: Notify,
}

#[derive(Default)]
struct Table {
    /// Connections per client address (waiting or served).
    by_address: HashMap<IpAddr, usize>,
    /// Served connections, oldest first, with the signal that asks them to close.
    holding: BTreeMap<u64, Arc<Notify>>,
    next_id: u64,
}

/// One admitted connection; leaving the table when dropped.
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    address: IpAddr,
    id: u64,
    /// Notified when the connection should close to make room.
    pub(crate) close: Arc<Notify>,
}

impl Admission {
    /// `capacity` slots, at most `per_address` connections from one address,
    /// waiting at most `wait` for a slot.
    pub(crate) fn new(capacity: usize, per_address: usize, wait: Duration) -> Arc<Admission> {
        Arc::new(Admission {
            slots: Arc::new(Semaphore::new(capacity)),
            per_address,
            wait,
            table: Mutex::new(Table::default()),
            all_gone: Notify::new(),
        })
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a connection from `address` (called as it is accepted), or refuses
    /// it at once when its address holds its share already.
    pub(crate) fn admit(self: &Arc<Self>, address: IpAddr) -> Result<Ticket, Refusal> {
        let mut table = self.table();
        let count = table.by_address.entry(address).or_default();
        if *count >= self.per_address {
            return Err(Refusal::PerAddress);
        }
        *count += 1;
        table.next_id += 1;
        Ok(Ticket {
            admission: self.clone(),
            address,
            id: table.next_id,
            close: Arc::new(Notify::new()),
        })
    }

    /// A slot for `ticket`: at once when one is free; else the connection that
    /// has held one longest is asked to close, and this one waits for a slot up
    /// to the header timeout.
    pub(crate) async fn slot(&self, ticket: &Ticket) -> Result<OwnedSemaphorePermit, Refusal> {
        let permit = match self.slots.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                self.ask_oldest_to_close();
                match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
                    Ok(Ok(permit)) => permit,
                    _ => return Err(Refusal::Full),
                }
            }
        };
        self.table().holding.insert(ticket.id, ticket.close.clone());
        Ok(permit)
    }

    fn ask_oldest_to_close(&self) {
        let oldest = self.table().holding.pop_first();
        if let Some((_, close)) = oldest {
            close.notify_one();
        }
    }

    /// Waits until every admitted connection has ended, at most `within`;
    /// whether they all did. Admitted, not only served: a connection accepted
    /// just before a stop may not have taken its slot yet (its thread has not
    /// run it), and its request must be finished too.
    pub(crate) async fn drained(&self, within: Duration) -> bool {
        let all_gone = async {
            loop {
                let gone = self.all_gone.notified();
                tokio::pin!(gone);
                gone.as_mut().enable(); // registered before the table is read
                if self.table().by_address.is_empty() {
                    return;
                }
                gone.await;
            }
        };
        tokio::time::timeout(within, all_gone).await.is_ok()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut table = self.admission.table();
        table.holding.remove(&self.id);
        if let Some(count) = table.by_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                table.by_address.remove(&self.address);
            }
        }
        if table.by_address.is_empty() {
            self.admission.all_gone.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[tokio::test]
    async fn one_address_gets_its_share_and_no_more() {
        let admission = Admission::new(10, 2, Duration::from_millis(50));
        let a = admission.admit(ip(2)).unwrap();
        let b = admission.admit(ip(2)).unwrap();
        assert_eq!(admission.admit(ip(2)).err(), Some(Refusal::PerAddress));
        assert!(admission.admit(ip(1)).is_ok());
        drop(a);
        let c = admission.admit(ip(2)).unwrap();
        drop((b, c));
        assert!(admission.table().by_address.is_empty());
    }

    #[tokio::test]
    async fn when_full_the_oldest_holder_is_asked_to_close_and_its_slot_reused() {
        let admission = Admission::new(2, 10, Duration::from_secs(5));
        let first = admission.admit(ip(2)).unwrap();
        let first_slot = admission.slot(&first).await.unwrap();
        let second = admission.admit(ip(2)).unwrap();
        let _second_slot = admission.slot(&second).await.unwrap();
        let close = first.close.clone();
        // The oldest holder closes when asked (as a connection task does).
        let holder = tokio::spawn(async move {
            close.notified().await;
            drop((first_slot, first));
        });
        let newcomer = admission.admit(ip(1)).unwrap();
        assert!(admission.slot(&newcomer).await.is_ok());
        holder.await.unwrap();
    }

    #[tokio::test]
    async fn a_connection_that_gets_no_slot_in_time_is_refused() {
        let admission = Admission::new(1, 10, Duration::from_millis(50));
        let holder = admission.admit(ip(2)).unwrap();
        let _slot = admission.slot(&holder).await.unwrap();
        let late = admission.admit(ip(1)).unwrap();
        assert_eq!(admission.slot(&late).await.err(), Some(Refusal::Full));
    }
}
