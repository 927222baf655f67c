//! Header encoding shared by axon and dendrite (spec §3.1, §7, §8).
//!
//! ```text
//! name, timeout, bt_header_axon_<f>…, bt_header_dendrite_<f>…, bt_header_input_obj_<field>…,
//! header_size, total_size, computed_body_hash
//! ```
//!
//! Values are Python `str()` of the field; only non-null terminal fields are sent.

use base64::Engine;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::synapse::{TerminalInfo, py_float};

/// Prefix of the axon terminal headers.
pub const AXON_PREFIX: &str = "bt_header_axon_";
/// Prefix of the dendrite terminal headers.
pub const DENDRITE_PREFIX: &str = "bt_header_dendrite_";
/// Prefix of the "required input object" headers.
pub const INPUT_OBJ_PREFIX: &str = "bt_header_input_obj_";

/// The base header fields of a synapse, independent of its subnet fields.
#[derive(Clone, Debug, Default)]
pub struct HeaderSynapse {
    /// `name` header.
    pub name: String,
    /// `timeout` header in seconds.
    pub timeout: f64,
    /// `bt_header_axon_*`.
    pub axon: TerminalInfo,
    /// `bt_header_dendrite_*`.
    pub dendrite: TerminalInfo,
    /// `computed_body_hash` header.
    pub computed_body_hash: String,
}

fn push(map: &mut HeaderMap, name: &str, value: &str) {
    // Names are built from fixed ASCII prefixes and field names; values from our own strings.
    // Values with bytes HTTP forbids (e.g. a newline in a status message) are sent lossily.
    let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
        return;
    };
    let value = HeaderValue::from_str(value).unwrap_or_else(|_| {
        let cleaned: String = value
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        HeaderValue::from_str(&cleaned).unwrap_or(HeaderValue::from_static(""))
    });
    map.append(name, value);
}

impl HeaderSynapse {
    /// Writes the synapse headers in the reference's order. `input_objs` are
    /// `(field, empty JSON)` pairs for required fields.
    pub fn write(&self, map: &mut HeaderMap, input_objs: &[(&str, String)], total_size: u64) {
        push(map, "name", &self.name);
        push(map, "timeout", &py_float(self.timeout));
        for (k, v) in self.axon.header_fields() {
            push_known(map, terminal_header(&AXON_HEADERS, k), AXON_PREFIX, k, &v);
        }
        for (k, v) in self.dendrite.header_fields() {
            push_known(
                map,
                terminal_header(&DENDRITE_HEADERS, k),
                DENDRITE_PREFIX,
                k,
                &v,
            );
        }
        for (field, json) in input_objs {
            let b64 = base64::engine::general_purpose::STANDARD.encode(json.as_bytes());
            push(map, &format!("{INPUT_OBJ_PREFIX}{field}"), &b64);
        }
        push(map, "header_size", &map_size(map).to_string());
        push(map, "total_size", &total_size.to_string());
        push(map, "computed_body_hash", &self.computed_body_hash);
    }

    /// Parses the base header fields the way the reference's `from_headers` does: the
    /// terminal prefixes by substring, the plain keys directly, unknown headers ignored.
    /// A missing `timeout` header leaves the reference default of 12 s.
    pub fn parse(map: &HeaderMap) -> Result<HeaderSynapse, String> {
        let mut out = HeaderSynapse {
            timeout: crate::synapse::DEFAULT_TIMEOUT,
            ..Default::default()
        };
        for (name, value) in map {
            let key = name.as_str();
            let Ok(value) = value.to_str() else {
                continue;
            };
            if let Some(field) = key.strip_prefix(AXON_PREFIX) {
                out.axon.set_from_header(field, value)?;
            } else if let Some(field) = key.strip_prefix(DENDRITE_PREFIX) {
                out.dendrite.set_from_header(field, value)?;
            } else {
                match key {
                    "name" => out.name = value.to_owned(),
                    "timeout" => {
                        out.timeout = value
                            .trim()
                            .parse()
                            .map_err(|_| format!("timeout header is not a float: {value:?}"))?
                    }
                    "computed_body_hash" => out.computed_body_hash = value.to_owned(),
                    _ => {}
                }
            }
        }
        Ok(out)
    }
}

/// Terminal header names built once (they are on every request and response).
static AXON_HEADERS: [(&str, HeaderName); 10] = [
    (
        "status_code",
        HeaderName::from_static("bt_header_axon_status_code"),
    ),
    (
        "status_message",
        HeaderName::from_static("bt_header_axon_status_message"),
    ),
    (
        "process_time",
        HeaderName::from_static("bt_header_axon_process_time"),
    ),
    ("ip", HeaderName::from_static("bt_header_axon_ip")),
    ("port", HeaderName::from_static("bt_header_axon_port")),
    ("version", HeaderName::from_static("bt_header_axon_version")),
    ("nonce", HeaderName::from_static("bt_header_axon_nonce")),
    ("uuid", HeaderName::from_static("bt_header_axon_uuid")),
    ("hotkey", HeaderName::from_static("bt_header_axon_hotkey")),
    (
        "signature",
        HeaderName::from_static("bt_header_axon_signature"),
    ),
];

static DENDRITE_HEADERS: [(&str, HeaderName); 10] = [
    (
        "status_code",
        HeaderName::from_static("bt_header_dendrite_status_code"),
    ),
    (
        "status_message",
        HeaderName::from_static("bt_header_dendrite_status_message"),
    ),
    (
        "process_time",
        HeaderName::from_static("bt_header_dendrite_process_time"),
    ),
    ("ip", HeaderName::from_static("bt_header_dendrite_ip")),
    ("port", HeaderName::from_static("bt_header_dendrite_port")),
    (
        "version",
        HeaderName::from_static("bt_header_dendrite_version"),
    ),
    ("nonce", HeaderName::from_static("bt_header_dendrite_nonce")),
    ("uuid", HeaderName::from_static("bt_header_dendrite_uuid")),
    (
        "hotkey",
        HeaderName::from_static("bt_header_dendrite_hotkey"),
    ),
    (
        "signature",
        HeaderName::from_static("bt_header_dendrite_signature"),
    ),
];

fn terminal_header(
    table: &'static [(&str, HeaderName)],
    field: &str,
) -> Option<&'static HeaderName> {
    table.iter().find(|(f, _)| *f == field).map(|(_, h)| h)
}

fn push_known(
    map: &mut HeaderMap,
    name: Option<&HeaderName>,
    prefix: &str,
    field: &str,
    value: &str,
) {
    match (name, HeaderValue::from_str(value)) {
        (Some(name), Ok(v)) => {
            map.append(name.clone(), v);
        }
        _ => push(map, &format!("{prefix}{field}"), value),
    }
}

/// A stand-in for Python's `sys.getsizeof(headers)`; informational only.
fn map_size(map: &HeaderMap) -> usize {
    64 + map
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 16)
        .sum::<usize>()
}

/// Python `str()` of a list of strings, e.g. `['Synapse', 'Dummy']`.
pub fn py_list(items: &[&str]) -> String {
    use crate::synapse::PyStr;
    let v: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
    v.py_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip() {
        let h = HeaderSynapse {
            name: "Dummy".into(),
            timeout: 12.0,
            axon: TerminalInfo {
                ip: Some("127.0.0.1".into()),
                port: Some(8091),
                ..Default::default()
            },
            dendrite: TerminalInfo {
                nonce: Some(1_795_632_866_023_827_468),
                version: Some(10_005_000),
                ..Default::default()
            },
            computed_body_hash: crate::synapse::EMPTY_BODY_HASH.into(),
        };
        let mut map = HeaderMap::new();
        h.write(&mut map, &[("text", "\"\"".into())], 0);
        assert_eq!(map["timeout"], "12.0");
        assert_eq!(map["bt_header_axon_port"], "8091");
        assert_eq!(map["bt_header_input_obj_text"], "IiI=");
        let back = HeaderSynapse::parse(&map).unwrap();
        assert_eq!(back.dendrite, h.dendrite);
        assert_eq!(back.axon, h.axon);
        assert_eq!(back.timeout, 12.0);
    }

    #[test]
    fn bad_number_is_an_error() {
        let mut map = HeaderMap::new();
        map.insert("bt_header_dendrite_nonce", HeaderValue::from_static("abc"));
        assert!(HeaderSynapse::parse(&map).is_err());
    }

    #[test]
    fn list_repr() {
        assert_eq!(py_list(&["Synapse", "Dummy"]), "['Synapse', 'Dummy']");
    }
}
