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

/// A header value from borrowed text; bytes HTTP forbids (e.g. a newline in a status message)
/// become `?`, so the header is sent lossily rather than dropped.
fn value_of(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| lossy(text))
}

/// A header value from text built for it that is always printable ASCII (a number, base64),
/// taken without another copy.
fn value_owned(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or(HeaderValue::from_static(""))
}

fn lossy(text: &str) -> HeaderValue {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    HeaderValue::try_from(cleaned).unwrap_or(HeaderValue::from_static(""))
}

// Header names built once: they are on every request and response, and parsing a custom
// name allocates.
static NAME: HeaderName = HeaderName::from_static("name");
static TIMEOUT: HeaderName = HeaderName::from_static("timeout");
static HEADER_SIZE: HeaderName = HeaderName::from_static("header_size");
static TOTAL_SIZE: HeaderName = HeaderName::from_static("total_size");
static COMPUTED_BODY_HASH: HeaderName = HeaderName::from_static("computed_body_hash");

/// The base header fields borrowed from wherever they live, so that writing them copies
/// nothing; [`HeaderSynapse`] is the owned form.
pub(crate) struct HeaderRef<'a> {
    /// `name` header.
    pub name: &'a str,
    /// `timeout` header in seconds.
    pub timeout: f64,
    /// `bt_header_axon_*`.
    pub axon: &'a TerminalInfo,
    /// `bt_header_dendrite_*`.
    pub dendrite: &'a TerminalInfo,
    /// `computed_body_hash` header.
    pub computed_body_hash: &'a str,
}

impl HeaderRef<'_> {
    /// See [`HeaderSynapse::write`].
    pub(crate) fn write(
        &self,
        map: &mut HeaderMap,
        input_objs: &[(&str, String)],
        total_size: u64,
    ) {
        map.append(NAME.clone(), value_of(self.name));
        map.append(TIMEOUT.clone(), value_owned(py_float(self.timeout)));
        write_terminal(map, &AXON_HEADERS, self.axon);
        write_terminal(map, &DENDRITE_HEADERS, self.dendrite);
        for (field, json) in input_objs {
            let name = format!("{INPUT_OBJ_PREFIX}{field}");
            if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
                let b64 = base64::engine::general_purpose::STANDARD.encode(json.as_bytes());
                map.append(name, value_owned(b64));
            }
        }
        map.append(HEADER_SIZE.clone(), HeaderValue::from(map_size(map)));
        map.append(TOTAL_SIZE.clone(), HeaderValue::from(total_size));
        map.append(
            COMPUTED_BODY_HASH.clone(),
            value_of(self.computed_body_hash),
        );
    }
}

impl HeaderSynapse {
    /// Writes the synapse headers in the reference's order. `input_objs` are
    /// `(field, empty JSON)` pairs for required fields.
    pub fn write(&self, map: &mut HeaderMap, input_objs: &[(&str, String)], total_size: u64) {
        HeaderRef {
            name: &self.name,
            timeout: self.timeout,
            axon: &self.axon,
            dendrite: &self.dendrite,
            computed_body_hash: &self.computed_body_hash,
        }
        .write(map, input_objs, total_size);
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

/// Terminal header names in [`TerminalInfo`]'s field order, which is the order they are sent.
static AXON_HEADERS: [HeaderName; 10] = [
    HeaderName::from_static("bt_header_axon_status_code"),
    HeaderName::from_static("bt_header_axon_status_message"),
    HeaderName::from_static("bt_header_axon_process_time"),
    HeaderName::from_static("bt_header_axon_ip"),
    HeaderName::from_static("bt_header_axon_port"),
    HeaderName::from_static("bt_header_axon_version"),
    HeaderName::from_static("bt_header_axon_nonce"),
    HeaderName::from_static("bt_header_axon_uuid"),
    HeaderName::from_static("bt_header_axon_hotkey"),
    HeaderName::from_static("bt_header_axon_signature"),
];

static DENDRITE_HEADERS: [HeaderName; 10] = [
    HeaderName::from_static("bt_header_dendrite_status_code"),
    HeaderName::from_static("bt_header_dendrite_status_message"),
    HeaderName::from_static("bt_header_dendrite_process_time"),
    HeaderName::from_static("bt_header_dendrite_ip"),
    HeaderName::from_static("bt_header_dendrite_port"),
    HeaderName::from_static("bt_header_dendrite_version"),
    HeaderName::from_static("bt_header_dendrite_nonce"),
    HeaderName::from_static("bt_header_dendrite_uuid"),
    HeaderName::from_static("bt_header_dendrite_hotkey"),
    HeaderName::from_static("bt_header_dendrite_signature"),
];

/// Appends every non-null field of `t` as `names[field]`, Python's `str()` of the value.
fn write_terminal(map: &mut HeaderMap, names: &'static [HeaderName; 10], t: &TerminalInfo) {
    let [
        status_code,
        status_message,
        process_time,
        ip,
        port,
        version,
        nonce,
        uuid,
        hotkey,
        signature,
    ] = names;
    let mut put = |name: &HeaderName, value: HeaderValue| {
        map.append(name.clone(), value);
    };
    if let Some(v) = t.status_code {
        put(status_code, HeaderValue::from(v));
    }
    if let Some(v) = &t.status_message {
        put(status_message, value_of(v));
    }
    if let Some(v) = t.process_time {
        put(process_time, value_owned(py_float(v)));
    }
    if let Some(v) = &t.ip {
        put(ip, value_of(v));
    }
    if let Some(v) = t.port {
        put(port, HeaderValue::from(v));
    }
    if let Some(v) = t.version {
        put(version, HeaderValue::from(v));
    }
    if let Some(v) = t.nonce {
        put(nonce, HeaderValue::from(v));
    }
    if let Some(v) = &t.uuid {
        put(uuid, value_of(v));
    }
    if let Some(v) = &t.hotkey {
        put(hotkey, value_of(v));
    }
    if let Some(v) = &t.signature {
        put(signature, value_of(v));
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
