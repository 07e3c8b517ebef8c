//! The guard through doubles (a resolver answering non-public addresses, a
//! connector that records and never opens a socket), and the client end to
//! end against stub servers on 127.0.0.1. No test sends a packet elsewhere.

use super::*;
use crate::config::Network;
use hyper::StatusCode;
use std::io;
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Answers every name with the same addresses, and counts the questions.
#[derive(Debug, Default)]
struct FakeResolver {
    answer: Vec<IpAddr>,
    asked: Mutex<Vec<String>>,
}

impl Resolver for FakeResolver {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        self.asked.lock().unwrap().push(host.to_owned());
        let addrs = self
            .answer
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect();
        Box::pin(async move { Ok(addrs) })
    }
}

/// Records every address it is asked to connect to; never connects, unless
/// told to pass loopback addresses through to the real connector.
#[derive(Debug, Default)]
struct RecordingConnector {
    asked: Mutex<Vec<SocketAddr>>,
    pass_loopback: bool,
}

impl Connector for RecordingConnector {
    fn connect(&self, addr: SocketAddr) -> BoxFuture<'_, io::Result<TcpStream>> {
        self.asked.lock().unwrap().push(addr);
        Box::pin(async move {
            if self.pass_loopback && addr.ip().is_loopback() {
                return TcpConnector.connect(addr).await;
            }
            Err(io::Error::other("the recording connector never connects"))
        })
    }
}

fn limits() -> Limits {
    Limits {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_millis(1500),
        max_response_bytes: 1024,
    }
}

fn nets(list: &[&str]) -> Vec<Network> {
    list.iter()
        .map(|s| Network::try_from(s.to_string()).unwrap())
        .collect()
}

fn doubles(answer: &[&str]) -> (Client, Arc<FakeResolver>, Arc<RecordingConnector>) {
    let resolver = Arc::new(FakeResolver {
        answer: answer.iter().map(|s| s.parse().unwrap()).collect(),
        ..FakeResolver::default()
    });
    let connector = Arc::new(RecordingConnector::default());
    let client = Client::new(limits())
        .with_resolver(resolver.clone())
        .with_connector(connector.clone());
    (client, resolver, connector)
}

fn get(url: &str) -> Request {
    Request::get(Url::parse(url).unwrap())
}

#[tokio::test]
async fn names_resolving_to_non_public_addresses_are_refused_before_any_connection() {
    let guard = Policy::guarded(&nets(&["127.0.0.1/32"]));
    for ip in [
        "10.0.0.1",
        "169.254.169.254",
        "fd00::1",
        "fe80::1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "0.0.0.0",
        "127.0.0.2",
        "::1",
        "100.64.0.1",
        "192.168.1.1",
        "172.16.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "2001:db8::1",
        "64:ff9b::a00:1",
        "2002:a9fe:a9fe::1",
    ] {
        let (client, resolver, connector) = doubles(&[ip]);
        let e = client
            .send(&guard, get("http://hub.example.test/cb"))
            .await
            .unwrap_err();
        match &e {
            OutboundError::Refused { addr, .. } => assert_eq!(*addr, ip.parse::<IpAddr>().unwrap()),
            other => panic!("{ip}: expected a refusal, got {other}"),
        }
        assert!(
            e.is_refused() && e.to_string().contains("allow_callbacks"),
            "{e}"
        );
        assert_eq!(
            resolver.asked.lock().unwrap().as_slice(),
            ["hub.example.test"]
        );
        assert!(
            connector.asked.lock().unwrap().is_empty(),
            "{ip}: connector was asked"
        );
    }
}

#[tokio::test]
async fn one_non_public_address_among_public_ones_refuses_the_name() {
    let (client, _, connector) = doubles(&["93.184.215.14", "10.0.0.1"]);
    let e = client
        .send(&Policy::guarded(&[]), get("https://x.test/"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, OutboundError::Refused { addr, .. } if addr.to_string() == "10.0.0.1"),
        "{e}"
    );
    assert!(connector.asked.lock().unwrap().is_empty());
}

#[tokio::test]
async fn address_literals_are_checked_without_resolving() {
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/",
        "http://[::ffff:a00:1]:8080/",
        "http://0.0.0.0:80/",
        "https://[fe80::1]/",
        "http://2130706433/",
        "http://0x7f.1/",
    ] {
        let (client, resolver, connector) = doubles(&["8.8.8.8"]);
        let e = client
            .send(&Policy::guarded(&[]), get(url))
            .await
            .unwrap_err();
        assert!(matches!(e, OutboundError::Refused { .. }), "{url}: {e}");
        assert!(resolver.asked.lock().unwrap().is_empty(), "{url}: resolved");
        assert!(
            connector.asked.lock().unwrap().is_empty(),
            "{url}: connected"
        );
    }
}

#[tokio::test]
async fn other_schemes_are_refused_untouched() {
    for url in [
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/_x",
        "ftp://x.test/",
        "data:,x",
    ] {
        let (client, resolver, connector) = doubles(&["8.8.8.8"]);
        let e = client.send(&Policy::Trusted, get(url)).await.unwrap_err();
        assert!(
            matches!(e, OutboundError::Url { .. }) && e.is_refused(),
            "{url}: {e}"
        );
        assert!(resolver.asked.lock().unwrap().is_empty());
        assert!(connector.asked.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_trusted_policy_connects_to_what_the_operator_named() {
    let (client, _, connector) = doubles(&["10.0.0.1"]);
    let e = client
        .send(&Policy::Trusted, get("http://hub.internal/"))
        .await
        .unwrap_err();
    assert!(matches!(e, OutboundError::Connect { .. }), "{e}");
    let asked = connector.asked.lock().unwrap();
    assert_eq!(asked.as_slice(), ["10.0.0.1:80".parse().unwrap()]);
}

/// A stub server on 127.0.0.1: answers each connection with `answer` (or
/// never, when `None`) and hands back what it received.
async fn stub(answer: Option<Vec<u8>>) -> (SocketAddr, tokio::task::JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !request_complete(&got) {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        match answer {
            Some(a) => {
                let _ = s.write_all(&a).await;
                let _ = s.shutdown().await;
            }
            None => tokio::time::sleep(Duration::from_secs(30)).await,
        }
        got
    });
    (addr, task)
}

fn request_complete(got: &[u8]) -> bool {
    let text = String::from_utf8_lossy(got);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..end]
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    got.len() >= end + 4 + length
}

fn loopback_client(allow: &[&str]) -> (Client, Policy, Arc<RecordingConnector>) {
    let connector = Arc::new(RecordingConnector {
        pass_loopback: true,
        ..Default::default()
    });
    let client = Client::new(limits()).with_connector(connector.clone());
    (client, Policy::guarded(&nets(allow)), connector)
}

#[tokio::test]
async fn an_allowed_loopback_server_gets_the_form_and_answers() {
    let (addr, got) = stub(Some(
        b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\nok".to_vec(),
    ))
    .await;
    let (client, guard, _) = loopback_client(&["127.0.0.1/32"]);
    let url = Url::parse(&format!("http://{addr}/hub?x=1")).unwrap();
    let form = [
        ("hub.mode", "publish"),
        ("hub.url", "http://a/f.xml"),
        ("hub.url", "http://a/g.xml"),
    ];
    let r = client
        .send(&guard, Request::post_form(url, form))
        .await
        .unwrap();
    assert_eq!((r.status, &r.body[..]), (StatusCode::ACCEPTED, &b"ok"[..]));
    let got = String::from_utf8(got.await.unwrap()).unwrap();
    assert!(got.starts_with("POST /hub?x=1 HTTP/1.1\r\n"), "{got}");
    assert!(got.contains(&format!("host: {addr}\r\n")), "{got}");
    assert!(
        got.contains("content-type: application/x-www-form-urlencoded"),
        "{got}"
    );
    assert!(
        got.ends_with(
            "\r\n\r\nhub.mode=publish&hub.url=http%3A%2F%2Fa%2Ff.xml&hub.url=http%3A%2F%2Fa%2Fg.xml"
        ),
        "{got}"
    );
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let answer =
        b"HTTP/1.1 302 Found\r\nlocation: http://169.254.169.254/\r\ncontent-length: 0\r\n\r\n";
    let (addr, _got) = stub(Some(answer.to_vec())).await;
    let (client, guard, connector) = loopback_client(&["127.0.0.1/32"]);
    let r = client
        .send(&guard, get(&format!("http://{addr}/")))
        .await
        .unwrap();
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        connector.asked.lock().unwrap().as_slice(),
        [addr],
        "one connection only"
    );
}

#[tokio::test]
async fn a_large_body_and_a_hanging_server_are_cut_off() {
    let mut big = b"HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 5000));
    let (addr, _got) = stub(Some(big)).await;
    let (client, guard, _) = loopback_client(&["127.0.0.0/8"]);
    let e = client
        .send(&guard, get(&format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(
        matches!(e, OutboundError::TooLarge { limit: 1024, .. }),
        "{e}"
    );

    let (addr, _got) = stub(None).await;
    let started = std::time::Instant::now();
    let e = client
        .send(&guard, get(&format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(matches!(e, OutboundError::Timeout { .. }), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn loopback_outside_the_allow_list_is_refused_end_to_end() {
    let (addr, _got) = stub(Some(
        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".to_vec(),
    ))
    .await;
    let (client, guard, connector) = loopback_client(&["127.0.0.1/32"]);
    let port = addr.port();
    for url in [
        format!("http://127.0.0.2:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        format!("http://[::ffff:127.0.0.2]:{port}/"),
        format!("gopher://127.0.0.1:{port}/"),
        "file:///etc/hostname".to_owned(),
    ] {
        let e = client.send(&guard, get(&url)).await.unwrap_err();
        assert!(e.is_refused(), "{url}: {e}");
    }
    assert!(connector.asked.lock().unwrap().is_empty());
}
