//! `SYNDIC_<SECTION>__<KEY>` environment variables, applied to the parsed
//! TOML table before it becomes a [`super::Config`].
//!
//! Owns: the mapping from a variable to a key and its value. Must not: read
//! the environment itself (the caller passes the variables in).

use super::{ConfigError, ENV_PREFIX};

/// `SYNDIC_SITE__TITLE=x` sets `site.title`. The value is read as a TOML value when
/// it is one (`50`, `true`), as a string otherwise.
pub(super) fn apply_override(
    table: &mut toml::Table,
    var: &str,
    raw: &str,
) -> Result<(), ConfigError> {
    let path: Vec<String> = var[ENV_PREFIX.len()..]
        .split("__")
        .map(str::to_ascii_lowercase)
        .collect();
    let env_err = |message: &str| ConfigError::Env {
        var: var.to_owned(),
        message: message.to_owned(),
    };
    let [section, key] = path.as_slice() else {
        return Err(env_err(
            "expected SYNDIC_<SECTION>__<KEY>, e.g. SYNDIC_STORE__URL",
        ));
    };
    let value = if key == "api_token" {
        toml::Value::String(raw.to_owned())
    } else {
        format!("v = {raw}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
    };
    let entry = table
        .entry(section.clone())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let toml::Value::Table(section_table) = entry else {
        return Err(env_err(&format!("`{section}` is not a section")));
    };
    section_table.insert(key.clone(), value);
    Ok(())
}
