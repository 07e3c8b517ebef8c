//! An independent WebSub subscriber (Flask-WebSub's, from PyPI; installed by
//! scripts/test.sh) against the built-in hub: it discovers the hub from the
//! feed's `Link` headers, subscribes and confirms through its own code, and
//! receives the diff of an article PUT. See tests/tools/websub_subscriber.py.

use crate::support::{PUBLIC_URL, TOKEN, guid, record, samples_as_of};
use crate::websub_hub::{hub_server, rss_guids};
use std::process::Command;

#[test]
fn flask_websubs_subscriber_receives_a_diff() {
    let server = hub_server();
    let topic = "tags/flask-test/feed.xml";
    let seed = record("flask-0", "Sport", &["Flask test"], &[], samples_as_of());
    assert_eq!(server.put(&seed).status, 201);
    let new = record("flask-1", "Sport", &["Flask test"], &[], samples_as_of());
    let script = crate::common::manifest_dir().join("tests/tools/websub_subscriber.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--base", &format!("http://{}", server.addr)])
        .args(["--public", PUBLIC_URL, "--topic", topic, "--token", TOKEN])
        .args(["--record", &new.to_string()])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the Flask-WebSub subscriber failed (scripts/test.sh installs flask-websub):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(result["hub"], format!("{PUBLIC_URL}websub"));
    assert_eq!(result["topic"], format!("{PUBLIC_URL}{topic}"));
    let body = result["body"].as_str().unwrap();
    assert_eq!(rss_guids(body.as_bytes()), vec![guid("flask-1")]);
}
