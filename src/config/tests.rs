use super::*;

const MINIMAL: &str = r#"
[site]
title = "Actu"
description = "Toute l'actualité"
language = "fr"
home_url = "https://www.actu.example.ma/"
public_url = "https://feeds.actu.example.ma/"
publication_name = "Actu"
guid_authority = "actu.example.ma,2024"
"#;

fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<Vec<_>>();
    Config::from_toml(Path::new("config.toml"), text, env.into_iter())
}

#[test]
fn defaults_fill_optional_sections() {
    let c = load(MINIMAL, &[]).unwrap();
    assert_eq!(c.feeds.items, 50);
    assert_eq!(c.store.url.to_string(), "sqlite:data/syndic.db");
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert!(c.server.api_token.is_none());
}

#[test]
fn unknown_key_is_named() {
    let e = load(&format!("{MINIMAL}\n[feeds]\nitem = 3\n"), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.toml") && e.contains("item"), "{e}");
}

#[test]
fn bad_value_names_key_value_and_expectation() {
    let e = load(&format!("{MINIMAL}\n[feeds]\nitems = 0\n"), &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("feeds.items") && e.contains("\"0\"") && e.contains("1 to 1000"),
        "{e}"
    );
    let e = load(
        &MINIMAL.replace("https://feeds.actu.example.ma/", "feeds"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("site.public_url"), "{e}");
}

#[test]
fn environment_overrides_keys_with_typed_values() {
    let c = load(
        MINIMAL,
        &[
            ("SYNDIC_FEEDS__ITEMS", "20"),
            ("SYNDIC_SERVER__API_TOKEN", "s3cret-token"),
            ("SYNDIC_STORE__URL", "sqlite:/tmp/x.db"),
            ("OTHER", "1"),
        ],
    )
    .unwrap();
    assert_eq!(c.feeds.items, 20);
    assert_eq!(c.server.api_token.as_deref(), Some("s3cret-token"));
    assert_eq!(c.store.url.to_string(), "sqlite:/tmp/x.db");
    let e = load(MINIMAL, &[("SYNDIC_FEEDS__COLOUR", "red")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("colour"), "{e}");
}

#[test]
fn short_tokens_and_dangerous_output_folders_are_refused() {
    let e = load(MINIMAL, &[("SYNDIC_API_TOKEN", "")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("server.api_token") && !e.contains("\"\""), "{e}");
    for dir in [".", "/", ""] {
        let e = load(MINIMAL, &[("SYNDIC_OUTPUT__DIR", dir)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("output.dir"), "{dir}: {e}");
    }
    let e = load(
        &MINIMAL.replace("language = \"fr\"", "language = \"français\""),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("site.language"), "{e}");
}

#[test]
fn typed_values_are_parsed_once_and_errors_name_the_key() {
    let c = load(MINIMAL, &[("SYNDIC_SERVER__LISTEN", "[::1]:9000")]).unwrap();
    assert_eq!(c.server.listen, "[::1]:9000".parse().unwrap());
    assert_eq!(c.site.public_url.as_str(), "https://feeds.actu.example.ma/");
    assert_eq!(c.site.language.as_str(), "fr");
    for (var, value, key) in [
        ("SYNDIC_SERVER__LISTEN", "localhost", "server.listen"),
        ("SYNDIC_SITE__HOME_URL", "www.actu.ma", "site.home_url"),
        ("SYNDIC_SITE__LANGUAGE", "fr_FR", "site.language"),
    ] {
        let e = load(MINIMAL, &[(var, value)]).unwrap_err().to_string();
        assert!(e.contains(key) && e.contains(value), "{var}: {e}");
    }
    let e = load(
        &MINIMAL.replace("language = \"fr\"", "language = \"fr_FR\""),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("config.toml") && e.contains("language") && e.contains("BCP 47"),
        "{e}"
    );
}

#[test]
fn store_url_is_parsed_once_and_errors_name_key_value_and_fix() {
    let e = load(
        &format!("{MINIMAL}\n[store]\nurl = \"mysql://root:hunter2@db/news\"\n"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("store.url") && e.contains("mysql://root@db/news"),
        "{e}"
    );
    assert!(!e.contains("hunter2") && e.contains("sqlite:PATH"), "{e}");
    let e = load(
        MINIMAL,
        &[("SYNDIC_STORE__URL", "postgres://u@h/d?sslmode=on")],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("sslmode=on") && e.contains("verify-full"), "{e}");
    let c = load(MINIMAL, &[("SYNDIC_STORE__POOL_SIZE", "8")]).unwrap();
    assert_eq!(c.store.pool_size, 8);
    assert!(load(MINIMAL, &[("SYNDIC_STORE__POOL_SIZE", "0")]).is_err());
}

#[test]
fn change_log_retention_defaults_to_three_days_and_refuses_zero() {
    assert_eq!(
        load(MINIMAL, &[]).unwrap().store.change_log_retention_hours,
        72
    );
    let e = load(
        &format!("{MINIMAL}\n[store]\nchange_log_retention_hours = 0\n"),
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("store.change_log_retention_hours") && e.contains("\"0\""),
        "{e}"
    );
    assert!(e.contains("at least 1 hour"), "{e}");
}
