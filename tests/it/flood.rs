//! Connection exhaustion (issue 11, item 4), through the real binary with its
//! default limits (`[server] max_connections` 8,192, 256 per address): silent
//! connections from many loopback addresses, each re-opened as soon as the
//! server closes it, while a well-behaved client on 127.0.0.1 makes requests
//! on fresh connections. Every one of its requests is answered.
//!
//! Size: `SYNDIC_FLOOD_CONNECTIONS` (default 600) and `SYNDIC_FLOOD_SECONDS`
//! (default 3); the size: `SYNDIC_FLOOD_CONNECTIONS=8400
//! SYNDIC_FLOOD_SECONDS=20 cargo test --release --test it flood:: -- --nocapture`.

use crate::cluster::request;
use crate::crash::{KillOnDrop, Site};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Connections per flooding address: just under the per-address limit, so
/// that the flood reaches the global limit as the did.
const PER_ADDRESS: u64 = 250;

/// Holds a silent connection from `source`; when the server closes it, opens
/// another, until `until`. Counts the connections opened.
async fn hold(source: Ipv4Addr, server: SocketAddr, until: Instant, opened: Arc<AtomicU64>) {
    while Instant::now() < until {
        let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
            return;
        };
        if socket.bind((source, 0).into()).is_err() {
            return;
        }
        let Ok(mut stream) = socket.connect(server).await else {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        opened.fetch_add(1, Ordering::Relaxed);
        let left = until.saturating_duration_since(Instant::now());
        // Silent: never sends a byte; waits for the server to close.
        let _ = tokio::time::timeout(left, stream.read(&mut [0u8; 1])).await;
    }
}

#[test]
fn a_sustained_flood_at_the_connection_cap_leaves_other_clients_served() {
    let connections = setting("SYNDIC_FLOOD_CONNECTIONS", 600);
    let seconds = setting("SYNDIC_FLOOD_SECONDS", 3);
    let site = Site::new();
    let _server = KillOnDrop(site.serve());
    let addr: SocketAddr = ([127, 0, 0, 1], site.port).into();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(seconds);
    let opened = Arc::new(AtomicU64::new(0));
    for i in 0..connections {
        let source = Ipv4Addr::new(
            127,
            0,
            1 + (i / PER_ADDRESS / 250) as u8,
            2 + (i / PER_ADDRESS % 250) as u8,
        );
        runtime.spawn(hold(source, addr, until, opened.clone()));
    }
    std::thread::sleep(Duration::from_millis(500)); // the flood is on
    let (mut answered, mut asked) = (0, 0);
    while Instant::now() < until {
        asked += 1;
        let (status, _, body) = request(site.port, "GET", "/feed.xml", &[], None);
        if status == 200 && !body.is_empty() {
            answered += 1;
        }
    }
    let flood = opened.load(Ordering::Relaxed);
    runtime.shutdown_timeout(Duration::from_secs(1));
    let metrics = String::from_utf8(request(site.port, "GET", "/metrics", &[], None).2).unwrap();
    let refused = metrics
        .lines()
        .find_map(|l| l.strip_prefix("syndic_http_connections_refused_total "))
        .unwrap_or("0")
        .to_owned();
    println!(
        "{connections} flooding connections held for {seconds} s ({flood} opened, {refused} refused at arrival): the client on 127.0.0.1 got {answered} answers to {asked} requests"
    );
    assert!(asked >= 10, "too few requests to judge: {asked}");
    assert_eq!(answered, asked, "requests unanswered during the flood");
    let log = std::fs::read_to_string(site.dir.path().join("serve.log")).unwrap();
    let warnings = log.lines().filter(|l| l.contains("WARN")).count();
    assert!(
        warnings <= 2 * seconds as usize + 4,
        "log flood: {warnings} WARN lines"
    );
}
