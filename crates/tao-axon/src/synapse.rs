//! Synapses: the request/response objects exchanged between dendrite and axon.
//!
//! A synapse is a pydantic model in the reference. On the wire its JSON body is the base fields
//! followed by the subclass fields:
//!
//! ```text
//! { "name", "timeout", "total_size", "header_size", "dendrite": TerminalInfo,
//!   "axon": TerminalInfo, "computed_body_hash": "", <subclass fields>... }
//! ```
//!
//! Here the base fields live in [`Envelope`] and the subclass fields in a user type implementing
//! [`Synapse`] (usually declared with the [`synapse!`](crate::synapse!) macro). The body hash is
//!
//! ```text
//! H(s) = hex(SHA3-256(s))
//! body_hash = H( concat over required_hash_fields (in tuple order) of H(py_str(value)) )
//! ```
//!
//! where `py_str` is Python's `str()` of the value ([`PyStr`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use sha3::{Digest, Sha3_256};

/// The bittensor version this crate speaks, as `major*1_000_000 + minor*1_000 + patch` (10.5.0).
pub const VERSION_AS_INT: u64 = 10_005_000;

/// Default call timeout in seconds, as the reference's `Synapse.timeout` default.
pub const DEFAULT_TIMEOUT: f64 = 12.0;

/// Body hash of a synapse without hashed fields: `SHA3-256("")`.
pub const EMPTY_BODY_HASH: &str =
    "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a";

/// Lower-case hex SHA3-256 of a string, the reference's `get_hash`.
pub fn sha3_hex(s: &str) -> String {
    hex::encode(Sha3_256::digest(s.as_bytes()))
}

/// One side's view of a call (`synapse.dendrite` / `synapse.axon`); every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TerminalInfo {
    /// HTTP-like status of the call (200 success, 401 not verified, 408 timeout, …).
    pub status_code: Option<u16>,
    /// Human-readable status.
    pub status_message: Option<String>,
    /// Seconds spent processing.
    pub process_time: Option<f64>,
    /// IP address of this terminal.
    pub ip: Option<String>,
    /// Port of this terminal.
    pub port: Option<u16>,
    /// Software version as an integer (see [`VERSION_AS_INT`]).
    pub version: Option<u64>,
    /// Wall-clock Unix time in nanoseconds, unique per request.
    pub nonce: Option<u64>,
    /// Identifier of the dendrite or axon object.
    pub uuid: Option<String>,
    /// SS58 hotkey of this terminal.
    pub hotkey: Option<String>,
    /// `0x`-prefixed hex sr25519 signature.
    pub signature: Option<String>,
}

impl TerminalInfo {
    /// Sets one field from its header text (`field` without the `bt_header_<side>_` prefix).
    /// Unknown fields are ignored, as the reference does.
    pub fn set_from_header(&mut self, field: &str, value: &str) -> Result<(), String> {
        fn num<T: std::str::FromStr>(field: &str, value: &str) -> Result<T, String> {
            value
                .trim()
                .parse()
                .map_err(|_| format!("header field {field} is not a valid number: {value:?}"))
        }
        match field {
            "status_code" => self.status_code = Some(num(field, value)?),
            "status_message" => self.status_message = Some(value.to_owned()),
            "process_time" => self.process_time = Some(num(field, value)?),
            "ip" => self.ip = Some(value.to_owned()),
            "port" => self.port = Some(num(field, value)?),
            "version" => self.version = Some(num(field, value)?),
            "nonce" => self.nonce = Some(num(field, value)?),
            "uuid" => self.uuid = Some(value.to_owned()),
            "hotkey" => self.hotkey = Some(value.to_owned()),
            "signature" => self.signature = Some(value.to_owned()),
            _ => {}
        }
        Ok(())
    }

    /// Overwrites fields with the non-null fields of `other` (the dendrite's header merge).
    pub fn overlay(&mut self, other: &TerminalInfo) {
        macro_rules! take {
            ($($f:ident),*) => {$(
                if other.$f.is_some() {
                    self.$f = other.$f.clone();
                }
            )*};
        }
        take!(
            status_code,
            status_message,
            process_time,
            ip,
            port,
            version,
            nonce,
            uuid,
            hotkey,
            signature
        );
    }
}

/// A subnet's synapse: its own fields, its name (the route) and how its body hash is built.
///
/// Declare one with [`synapse!`](crate::synapse!) rather than implementing this by hand.
pub trait Synapse: Serialize + DeserializeOwned + Default + Clone + Send + Sync + 'static {
    /// The class name: the route `POST /<NAME>` and the `name` field.
    const NAME: &'static str;

    /// Fields that have no default in the reference model: the dendrite sends a
    /// `bt_header_input_obj_<field>` header for each, without which a Python axon answers 500.
    fn required_fields() -> &'static [&'static str] {
        &[]
    }

    /// JSON of an empty instance of a required field's type (`""`, `0`, `[]`, `{}` …).
    fn empty_field_json(_field: &str) -> Option<String> {
        None
    }

    /// Python `str()` of each field of `required_hash_fields`, in that tuple's order.
    fn hash_field_strs(&self) -> Vec<String> {
        Vec::new()
    }

    /// The reference's `body_hash` over [`Synapse::hash_field_strs`].
    fn body_hash(&self) -> String {
        let parts = self.hash_field_strs();
        if parts.is_empty() {
            return EMPTY_BODY_HASH.to_owned();
        }
        let concat: String = parts.iter().map(|p| sha3_hex(p)).collect();
        sha3_hex(&concat)
    }
}

/// The base `Synapse` class itself (the built-in `/Synapse` ping route): no fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ping {}

impl Synapse for Ping {
    const NAME: &'static str = "Synapse";
}

/// A whole synapse as on the wire: base fields plus the subnet's fields `S`.
///
/// Missing base fields take their defaults and `null` terminals read as empty ones; every other
/// key goes to `S`. (Deserialization is written out rather than derived with `flatten`, which
/// would buffer the whole object, every base field included, before reading it.)
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(bound = "S: Synapse")]
pub struct Envelope<S> {
    /// Class name; always forced to `S::NAME` when sending.
    pub name: String,
    /// Call timeout in seconds.
    pub timeout: f64,
    /// Informational size estimate (Python-internal).
    pub total_size: u64,
    /// Informational header size estimate (Python-internal).
    pub header_size: u64,
    /// The caller's side of the call.
    pub dendrite: TerminalInfo,
    /// The server's side of the call.
    pub axon: TerminalInfo,
    /// Always `""` in bodies; the real hash travels in the `computed_body_hash` header.
    pub computed_body_hash: String,
    /// The subnet's own fields.
    #[serde(flatten)]
    pub fields: S,
}

/// A key of a synapse object: one of the base fields, or a subnet field for `S`.
enum Key {
    Name,
    Timeout,
    TotalSize,
    HeaderSize,
    Dendrite,
    Axon,
    ComputedBodyHash,
    Other(String),
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "name" => Key::Name,
                    "timeout" => Key::Timeout,
                    "total_size" => Key::TotalSize,
                    "header_size" => Key::HeaderSize,
                    "dendrite" => Key::Dendrite,
                    "axon" => Key::Axon,
                    "computed_body_hash" => Key::ComputedBodyHash,
                    other => Key::Other(other.to_owned()),
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// Stores a base field's value, refusing a second occurrence as a derived struct does.
fn set_once<'de, T: Deserialize<'de>, A: serde::de::MapAccess<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
    field: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(serde::de::Error::duplicate_field(field));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de, S: Synapse> Deserialize<'de> for Envelope<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EnvelopeVisitor<S>(std::marker::PhantomData<fn() -> S>);
        impl<'de, S: Synapse> serde::de::Visitor<'de> for EnvelopeVisitor<S> {
            type Value = Envelope<S>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a synapse object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Envelope<S>, A::Error> {
                let (mut name, mut timeout, mut total_size, mut header_size) =
                    (None, None, None, None);
                let (mut dendrite, mut axon, mut computed_body_hash) = (None, None, None);
                let mut rest = serde_json::Map::new();
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Name => set_once(&mut name, &mut map, "name")?,
                        Key::Timeout => set_once(&mut timeout, &mut map, "timeout")?,
                        Key::TotalSize => set_once(&mut total_size, &mut map, "total_size")?,
                        Key::HeaderSize => set_once(&mut header_size, &mut map, "header_size")?,
                        Key::Dendrite => set_once(&mut dendrite, &mut map, "dendrite")?,
                        Key::Axon => set_once(&mut axon, &mut map, "axon")?,
                        Key::ComputedBodyHash => {
                            set_once(&mut computed_body_hash, &mut map, "computed_body_hash")?
                        }
                        Key::Other(key) => {
                            let value = map.next_value::<serde_json::Value>()?;
                            rest.insert(key, value);
                        }
                    }
                }
                let fields = S::deserialize(serde_json::Value::Object(rest))
                    .map_err(serde::de::Error::custom)?;
                Ok(Envelope {
                    name: name.unwrap_or_default(),
                    timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
                    total_size: total_size.unwrap_or_default(),
                    header_size: header_size.unwrap_or_default(),
                    dendrite: dendrite.flatten().unwrap_or_default(),
                    axon: axon.flatten().unwrap_or_default(),
                    computed_body_hash: computed_body_hash.unwrap_or_default(),
                    fields,
                })
            }
        }
        d.deserialize_map(EnvelopeVisitor(std::marker::PhantomData))
    }
}

impl<S: Synapse> Default for Envelope<S> {
    fn default() -> Self {
        Envelope::new(S::default())
    }
}

impl<S: Synapse> Envelope<S> {
    /// A fresh synapse with default base fields around `fields`.
    pub fn new(fields: S) -> Self {
        Envelope {
            name: S::NAME.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            total_size: 0,
            header_size: 0,
            dendrite: TerminalInfo::default(),
            axon: TerminalInfo::default(),
            computed_body_hash: String::new(),
            fields,
        }
    }

    /// True when the call succeeded (`dendrite.status_code == 200`), the validators' predicate.
    pub fn is_success(&self) -> bool {
        self.dendrite.status_code == Some(200)
    }
}

/// Python's `repr()`/`str()` of a float: shortest round-trip digits, scientific notation when
/// the decimal exponent is below -4 or at least 16, `inf`/`nan` spelled as Python does.
pub fn py_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    // Whole numbers below 1e15 (every timeout in practice) print as `<int>.0`; an f64 holds
    // them exactly, so the cast is lossless.
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}.0", v as i64);
    }
    // `{:e}` gives the shortest round-trip digits as `d.ddde<exp>`.
    let sci = format!("{v:e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    if !(-4..16).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    let s = format!("{v}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// Python `str()` of a value, as used by the body hash.
pub trait PyStr {
    /// The text Python's `str(value)` produces.
    fn py_str(&self) -> String;
    /// The text Python's `repr(value)` produces (differs from `str` for strings).
    fn py_repr(&self) -> String {
        self.py_str()
    }
}

macro_rules! py_int {
    ($($t:ty),*) => {$(
        impl PyStr for $t {
            fn py_str(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
py_int!(
    i8, i16, i32, i64, i128, u8, u16, u32, u64, u128, usize, isize
);

impl PyStr for f64 {
    fn py_str(&self) -> String {
        py_float(*self)
    }
}

impl PyStr for f32 {
    fn py_str(&self) -> String {
        py_float(f64::from(*self))
    }
}

impl PyStr for bool {
    fn py_str(&self) -> String {
        if *self { "True" } else { "False" }.to_owned()
    }
}

impl PyStr for String {
    fn py_str(&self) -> String {
        self.clone()
    }
    fn py_repr(&self) -> String {
        py_str_repr(self)
    }
}

impl<T: PyStr> PyStr for Option<T> {
    fn py_str(&self) -> String {
        match self {
            Some(v) => v.py_str(),
            None => "None".to_owned(),
        }
    }
    fn py_repr(&self) -> String {
        match self {
            Some(v) => v.py_repr(),
            None => "None".to_owned(),
        }
    }
}

impl<T: PyStr> PyStr for Vec<T> {
    fn py_str(&self) -> String {
        let items: Vec<String> = self.iter().map(PyStr::py_repr).collect();
        format!("[{}]", items.join(", "))
    }
}

/// Python `repr()` of a `str`: single quotes unless the text contains a single quote and no
/// double quote, with Python's escapes for backslash, quotes and control characters.
fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Declares a synapse in a few lines: a struct with serde, its defaults, its name and the
/// reference's `required_hash_fields`.
///
/// Fields written `name: Type = default` have a default; fields written `name: Type` are
/// required in the reference's sense (the dendrite sends `bt_header_input_obj_<name>`).
///
/// ```
/// tao_axon::synapse! {
///     /// The conventional test synapse.
///     pub struct Echo {
///         pub text: String,
///         pub count: i64 = 1,
///         pub reply: Option<String> = None,
///     }
///     hash = [text, count]
/// }
/// use tao_axon::Synapse;
/// assert_eq!(Echo::NAME, "Echo");
/// assert_eq!(Echo::required_fields(), &["text"]);
/// ```
#[macro_export]
macro_rules! synapse {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $fvis:vis $field:ident : $ty:ty $(= $default:expr)? ),* $(,)?
        }
        $(hash = [$($hfield:ident),* $(,)?])?
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, $crate::serde::Serialize, $crate::serde::Deserialize)]
        #[serde(crate = "tao_axon::serde", default)]
        $vis struct $name {
            $( $(#[$fmeta])* $fvis $field: $ty, )*
        }

        impl ::core::default::Default for $name {
            fn default() -> Self {
                $name { $( $field: $crate::synapse!(@default $ty $(, $default)?), )* }
            }
        }

        impl $crate::Synapse for $name {
            const NAME: &'static str = stringify!($name);

            fn required_fields() -> &'static [&'static str] {
                const REQUIRED: &[Option<&str>] =
                    &[$( $crate::synapse!(@required $field $(, $default)?), )*];
                const fn count() -> usize {
                    let mut n = 0;
                    let mut i = 0;
                    while i < REQUIRED.len() {
                        if REQUIRED[i].is_some() {
                            n += 1;
                        }
                        i += 1;
                    }
                    n
                }
                const fn collect() -> [&'static str; count()] {
                    let mut out = [""; count()];
                    let mut n = 0;
                    let mut i = 0;
                    while i < REQUIRED.len() {
                        if let Some(f) = REQUIRED[i] {
                            out[n] = f;
                            n += 1;
                        }
                        i += 1;
                    }
                    out
                }
                const FIELDS: [&str; count()] = collect();
                &FIELDS
            }

            fn empty_field_json(field: &str) -> Option<String> {
                match field {
                    $( stringify!($field) => $crate::serde_json::to_string(
                        &<$ty as ::core::default::Default>::default()
                    ).ok(), )*
                    _ => None,
                }
            }

            fn hash_field_strs(&self) -> Vec<String> {
                vec![$($( $crate::PyStr::py_str(&self.$hfield), )*)?]
            }
        }
    };
    (@default $ty:ty) => { <$ty as ::core::default::Default>::default() };
    (@default $ty:ty, $default:expr) => { $default };
    (@required $field:ident) => { Some(stringify!($field)) };
    (@required $field:ident, $default:expr) => { None };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::synapse! {
        /// Test synapse with hashed fields in a non-declaration order.
        pub struct Hashed {
            pub input: i64 = 0,
            pub text: String,
        }
        hash = [text, input]
    }

    #[test]
    fn empty_hash_matches_reference() {
        assert_eq!(sha3_hex(""), EMPTY_BODY_HASH);
        assert_eq!(Ping::default().body_hash(), EMPTY_BODY_HASH);
    }

    #[test]
    fn hash_follows_hash_field_order() {
        let s = Hashed {
            input: 5,
            text: "hello".into(),
        };
        let expect = sha3_hex(&format!("{}{}", sha3_hex("hello"), sha3_hex("5")));
        assert_eq!(s.body_hash(), expect);
        assert_eq!(Hashed::required_fields(), &["text"]);
        assert_eq!(Hashed::empty_field_json("text").as_deref(), Some("\"\""));
    }

    #[test]
    fn python_float_repr() {
        assert_eq!(py_float(12.0), "12.0");
        assert_eq!(py_float(0.0001690387725830078), "0.0001690387725830078");
        assert_eq!(py_float(1e-5), "1e-05");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(123456789012345.6), "123456789012345.6");
        assert_eq!(py_float(0.5), "0.5");
        assert_eq!(py_float(-2.5e-7), "-2.5e-07");
        assert_eq!(py_float(-3.0), "-3.0");
        assert_eq!(py_float(999999999999999.0), "999999999999999.0");
        assert_eq!(py_float(1e15), "1000000000000000.0");
        assert_eq!(py_float(1e17), "1e+17");
    }

    #[test]
    fn python_str_of_containers() {
        assert_eq!(vec![1i64, 2].py_str(), "[1, 2]");
        assert_eq!(
            vec!["a".to_string(), "b'".to_string()].py_str(),
            "['a', \"b'\"]"
        );
        assert_eq!(Some(true).py_str(), "True");
        assert_eq!(None::<i64>.py_str(), "None");
    }

    #[test]
    fn envelope_field_order_and_nulls() {
        let env = Envelope::new(Hashed {
            input: 3,
            text: "x".into(),
        });
        let json = serde_json::to_string(&env).unwrap();
        assert!(json.starts_with("{\"name\":\"Hashed\",\"timeout\":12.0,\"total_size\":0"));
        assert!(json.ends_with("\"computed_body_hash\":\"\",\"input\":3,\"text\":\"x\"}"));
        let back: Envelope<Hashed> =
            serde_json::from_str(r#"{"dendrite": null, "input": 7, "unknown": [1]}"#).unwrap();
        assert_eq!(back.fields.input, 7);
        assert_eq!(back.timeout, 12.0);
    }

    proptest::proptest! {
        #[test]
        fn py_float_round_trips(v in proptest::num::f64::NORMAL) {
            let s = py_float(v);
            proptest::prop_assert_eq!(s.parse::<f64>().unwrap(), v);
        }

        #[test]
        fn terminal_headers_round_trip(code in proptest::option::of(0u16..1000), nonce in proptest::option::of(0u64..u64::MAX), pt in proptest::option::of(0.0f64..1e6)) {
            let t = TerminalInfo { status_code: code, nonce, process_time: pt, hotkey: Some("5x".into()), ..Default::default() };
            let hs = crate::wire::HeaderSynapse { axon: t.clone(), dendrite: t.clone(), ..Default::default() };
            let mut map = http::HeaderMap::new();
            hs.write(&mut map, &[], 0);
            let back = crate::wire::HeaderSynapse::parse(&map).unwrap();
            proptest::prop_assert_eq!(&back.axon, &t);
            proptest::prop_assert_eq!(&back.dendrite, &t);
        }
    }
}
