//! A WebSub subscriber written for the tests: an HTTP server on a loopback
//! address that answers the hub's verification GETs (echoing `hub.challenge`
//! when it wants the subscription) and records every delivery POST, with the
//! time it arrived. One request per connection, each on its own thread.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the hub sent.
#[derive(Debug, Clone)]
pub enum Event {
    /// A verification GET: its path and query parameters.
    Verify {
        path: String,
        query: HashMap<String, String>,
    },
    /// A delivery POST.
    Delivery {
        path: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        at: Instant,
    },
}

impl Event {
    /// A header of a delivery (lower-case name), all values.
    pub fn headers(&self, name: &str) -> Vec<String> {
        match self {
            Event::Delivery { headers, .. } => headers
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .collect(),
            Event::Verify { .. } => Vec::new(),
        }
    }
}

/// A running subscriber; dropping it stops it.
pub struct Subscriber {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Whether verifications are confirmed (the challenge echoed).
    pub confirm: Arc<AtomicBool>,
    /// Whether deliveries are accepted (2xx) or refused (500).
    pub accept: Arc<AtomicBool>,
    /// Connections accepted, of any kind.
    pub connections: Arc<AtomicUsize>,
    events: Mutex<Receiver<Event>>,
    stop: Arc<AtomicBool>,
}

impl Subscriber {
    /// Listens on `ip:0`.
    pub fn start(ip: &str) -> Subscriber {
        let listener = TcpListener::bind((ip, 0)).expect("bind the subscriber");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = channel();
        let confirm = Arc::new(AtomicBool::new(true));
        let accept = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, n, s, a) = (
            confirm.clone(),
            connections.clone(),
            stop.clone(),
            accept.clone(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                n.fetch_add(1, Ordering::SeqCst);
                let Ok(stream) = stream else { continue };
                let (tx, c, a) = (tx.clone(), c.clone(), a.clone());
                std::thread::spawn(move || answer(stream, &tx, &c, &a));
            }
        });
        Subscriber {
            addr,
            confirm,
            accept,
            connections,
            events: Mutex::new(rx),
            stop,
        }
    }

    /// The callback URL for `path` (e.g. `/cb/1`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next event within `within`, if any.
    pub fn next(&self, within: Duration) -> Option<Event> {
        self.events.lock().unwrap().recv_timeout(within).ok()
    }

    /// The next delivery within `within` (verifications on the way are skipped).
    pub fn delivery(&self, within: Duration) -> Option<Event> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left)? {
                e @ Event::Delivery { .. } => return Some(e),
                Event::Verify { .. } => continue,
            }
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

fn answer(stream: TcpStream, events: &Sender<Event>, confirm: &AtomicBool, accept: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let at = Instant::now();
    let url = url::Url::parse(&format!("http://stub{target}")).unwrap();
    let path = url.path().to_owned();
    let (status, reply) = if method == "GET" {
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        let challenge = query.get("hub.challenge").cloned().unwrap_or_default();
        let _ = events.send(Event::Verify { path, query });
        match confirm.load(Ordering::SeqCst) {
            true => ("200 OK", challenge),
            false => ("404 Not Found", String::new()),
        }
    } else {
        let _ = events.send(Event::Delivery {
            path,
            headers,
            body,
            at,
        });
        match accept.load(Ordering::SeqCst) {
            true => ("200 OK", String::new()),
            false => ("500 Internal Server Error", String::new()),
        }
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
}
