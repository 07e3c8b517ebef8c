//! A batch that PostgreSQL fails to break a deadlock (40P01) is run again:
//! the writer sees its batch stored, not an error. The deadlock is made on
//! purpose: another program writes one row of the batch (taking the change
//! log's lock too) and then asks for the row the batch has written first.

use crate::store_suite::{article, postgres};
use std::time::Duration;

#[test]
fn a_batch_failed_to_break_a_deadlock_is_written_again() {
    let b = postgres();
    let store = &*b.store;
    store
        .upsert(&[article("x", "X"), article("y", "Y")])
        .unwrap();
    let mut other = postgres::Client::connect(&b.url, postgres::NoTls).unwrap();
    let mut held = other.transaction().unwrap();
    held.execute("UPDATE articles SET title = 'Y, autre' WHERE id = 'y'", &[])
        .unwrap();
    std::thread::scope(|scope| {
        // Writes x, then waits behind the other program's transaction.
        let batch = scope.spawn(|| store.upsert(&[article("x", "X2"), article("y", "Y2")]));
        std::thread::sleep(Duration::from_millis(500));
        // Waits for x: a cycle. After deadlock_timeout (1 s) the server fails
        // the batch, which waited first (40P01); this statement then goes through.
        held.execute("UPDATE articles SET title = 'X, autre' WHERE id = 'x'", &[])
            .unwrap();
        held.commit().unwrap();
        let counts = batch
            .join()
            .unwrap()
            .expect("the batch is run again after the deadlock");
        assert_eq!((counts.inserted, counts.updated), (0, 2));
    });
    let titles: Vec<String> = store
        .articles(&["x", "y"])
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    assert_eq!(titles, ["X2", "Y2"], "the batch, run again, wrote last");
}
