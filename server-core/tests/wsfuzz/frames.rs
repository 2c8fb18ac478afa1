//! The fuzzer's frames: client events generated from the AsyncAPI document's schemas
//! (well-formed, then spoiled one way each) and random frames, each with the answer the
//! documents promise for it.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use serde_json::{Map, Value, json};

/// The server's frame limit (`ws::MAX_FRAME`).
const MAX_FRAME: usize = 64 * 1024;

/// One client event as the AsyncAPI document describes it.
#[derive(Clone, Debug)]
pub(super) struct EventDoc {
    pub(super) name: String,
    /// The JSON Schema of its `data`, with `$ref`s resolved lazily against `schemas`.
    pub(super) data: Value,
    /// The events the server answers it with (besides `error`).
    pub(super) replies: BTreeSet<String>,
}

/// What the fuzzer knows from the documents.
pub(super) struct Docs {
    /// The AsyncAPI document itself, to check every frame the server sends against.
    pub(super) document: Value,
    pub(super) events: Vec<EventDoc>,
    schemas: Map<String, Value>,
    /// Every error code `docs/protocol.md` lists, REST and WebSocket.
    pub(super) codes: BTreeSet<String>,
}

impl Docs {
    pub(super) fn new(asyncapi: &Value) -> Docs {
        let schemas = asyncapi["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .clone();
        let messages = &asyncapi["components"]["messages"];
        let name_of = |reference: &Value| {
            reference["$ref"]
                .as_str()
                .and_then(|r| r.rsplit('/').next())
                .expect("message $ref")
                .to_owned()
        };
        let mut events = Vec::new();
        for operation in asyncapi["operations"].as_object().expect("operations").values() {
            if operation["action"] != "receive" {
                continue;
            }
            let name = name_of(&operation["messages"][0]);
            let data = messages[&name]["payload"]["properties"]["data"].clone();
            let replies = operation["reply"]["messages"]
                .as_array()
                .map(|all| all.iter().map(name_of).filter(|n| n != "error").collect())
                .unwrap_or_default();
            events.push(EventDoc { name, data, replies });
        }
        assert!(
            events.len() >= 16,
            "the document lists every client event: {events:?}"
        );
        Docs {
            document: asyncapi.clone(),
            events,
            schemas,
            codes: documented_codes(include_str!("../../../docs/protocol.md")),
        }
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => self.resolve(&self.schemas[r.rsplit('/').next().unwrap()]),
            None => schema,
        }
    }

    /// The properties of an object schema (through `$ref` and `allOf`), with whether each is
    /// required.
    fn fields(&self, schema: &Value) -> Vec<(String, Value, bool)> {
        let schema = self.resolve(schema);
        let mut fields = Vec::new();
        if let Some(parts) = schema["allOf"].as_array() {
            for part in parts {
                fields.extend(self.fields(part));
            }
        }
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = schema["properties"].as_object() {
            for (name, property) in properties {
                fields.push((name.clone(), property.clone(), required.contains(name.as_str())));
            }
        }
        fields
    }

    /// The JSON types a schema admits ("integer" counts as a kind of "number" only when the
    /// schema says "number").
    fn types(&self, schema: &Value) -> BTreeSet<&'static str> {
        let schema = self.resolve(schema);
        let mut types = BTreeSet::new();
        for key in ["oneOf", "anyOf"] {
            for part in schema[key].as_array().into_iter().flatten() {
                types.extend(self.types(part));
            }
        }
        let listed: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        for t in listed {
            types.insert(json_type_name(t));
        }
        for value in schema["enum"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(schema.get("const"))
        {
            types.insert(type_of(value));
        }
        types
    }

    /// Values that match `schema`.
    fn generate(&self, schema: &Value, pools: &Pools) -> BoxedStrategy<Value> {
        let schema = self.resolve(schema);
        if let Some(value) = schema.get("const") {
            return Just(value.clone()).boxed();
        }
        if let Some(values) = schema["enum"].as_array() {
            return select(values.clone()).boxed();
        }
        if let Some(parts) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
            return Union::new(parts.iter().map(|p| self.generate(p, pools))).boxed();
        }
        if schema.get("allOf").is_some() || schema.get("properties").is_some() {
            return self.object(schema, pools);
        }
        match &schema["type"] {
            Value::Array(types) => Union::new(types.iter().map(|t| {
                let mut one = schema.clone();
                one["type"] = t.clone();
                self.generate(&one, pools)
            }))
            .boxed(),
            Value::String(t) => match t.as_str() {
                "integer" => pools.id(),
                "number" => prop_oneof![pools.id().boxed(), any::<f64>().prop_map(|f| json!(f))].boxed(),
                "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
                "null" => Just(Value::Null).boxed(),
                "string" => {
                    let max = schema["maxLength"].as_u64().map(|m| m as usize);
                    pools
                        .text()
                        .prop_map(move |s| match max {
                            Some(max) => s.chars().take(max).collect(),
                            None => s,
                        })
                        .prop_map(Value::String)
                        .boxed()
                }
                "array" => proptest::collection::vec(self.generate(&schema["items"], pools), 0..4)
                    .prop_map(Value::Array)
                    .boxed(),
                _ => self.object(schema, pools),
            },
            _ => Just(json!({})).boxed(),
        }
    }

    /// An object with every required property and a random subset of the others.
    fn object(&self, schema: &Value, pools: &Pools) -> BoxedStrategy<Value> {
        let parts: Vec<BoxedStrategy<Option<(String, Value)>>> = self
            .fields(schema)
            .into_iter()
            .map(|(name, property, required)| {
                let value = self
                    .generate(&property, pools)
                    .prop_map(move |v| (name.clone(), v));
                if required {
                    value.prop_map(Some).boxed()
                } else {
                    proptest::option::of(value).boxed()
                }
            })
            .collect();
        parts
            .prop_map(|fields| Value::Object(fields.into_iter().flatten().collect()))
            .boxed()
    }
}

fn json_type_name(t: &str) -> &'static str {
    match t {
        "integer" => "integer",
        "number" => "number",
        "string" => "string",
        "boolean" => "boolean",
        "array" => "array",
        "null" => "null",
        _ => "object",
    }
}

fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether a value of JSON type `t` fits a schema admitting `types`.
fn admits(types: &BTreeSet<&str>, t: &str) -> bool {
    types.contains(t) || (t == "integer" && types.contains("number"))
}

/// The error codes in `protocol.md`'s two error tables (REST by status, WebSocket by cause).
pub(super) fn documented_codes(protocol: &str) -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut in_table = false;
    for line in protocol.lines() {
        if line.starts_with("| status | codes |") || line.starts_with("| code | cause |") {
            in_table = true;
        } else if !line.starts_with('|') {
            in_table = false;
        } else if in_table {
            for (i, part) in line.split('`').enumerate() {
                if i % 2 == 1 && !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                {
                    codes.insert(part.to_owned());
                }
            }
        }
    }
    assert!(codes.len() > 40, "protocol.md's error tables: {codes:?}");
    codes
}

/// Ids and words the generated frames draw from: real rooms, messages and users of every
/// kind (mine, others', a private room I am not in) and ids that do not exist.
#[derive(Clone)]
pub(super) struct Pools {
    pub(super) ids: Vec<i64>,
    /// Ids of what the fuzzed socket made along the way (its messages, its conversations), so
    /// later frames edit, react to and delete them instead of only missing.
    pub(super) made: Arc<Mutex<Vec<i64>>>,
    pub(super) words: Vec<String>,
}

impl Pools {
    fn id(&self) -> BoxedStrategy<Value> {
        let made = self.made.clone();
        prop_oneof![
            4 => select(self.ids.clone()),
            4 => any::<prop::sample::Index>().prop_map(move |i| {
                let made = made.lock().unwrap();
                if made.is_empty() { 0 } else { made[i.index(made.len())] }
            }),
            2 => 0i64..200,
            1 => any::<i64>(),
        ]
        .prop_map(|id| json!(id))
        .boxed()
    }

    fn text(&self) -> BoxedStrategy<String> {
        prop_oneof![
            4 => select(self.words.clone()),
            3 => "[a-z@:# ]{0,24}",
            2 => any::<String>(),
            1 => (1usize..60).prop_map(|n| "é".repeat(n * 100)),
        ]
        .boxed()
    }
}

/// How a frame's answer is recognised.
#[derive(Clone, Debug)]
pub(super) enum Expect {
    /// A frame with a ref of ours: its documented reply, or one `error` (with `code` if given).
    Answer {
        event: String,
        code: Option<&'static str>,
    },
    /// A frame whose ref cannot be read or is too long: one `error` without a ref, with one
    /// of these codes.
    RefLess(&'static [&'static str]),
    /// A frame the socket cannot take (too large, not UTF-8, breaking RFC 6455): it closes with
    /// this documented code.
    Close(u16),
    /// A WebSocket ping: answered by the protocol's pong, nothing else.
    Nothing,
}

#[derive(Clone, Debug)]
pub(super) enum Payload {
    /// An envelope; the fuzzer adds a unique `ref` unless `keep_ref`.
    Json {
        frame: Value,
        keep_ref: bool,
    },
    Text(String),
    Binary(Vec<u8>),
    Ping,
    /// A text frame of these bytes, UTF-8 or not, with a reserved bit set if `reserved`.
    RawText {
        bytes: Vec<u8>,
        reserved: bool,
    },
}

#[derive(Clone, Debug)]
pub(super) struct Case {
    pub(super) kind: &'static str,
    pub(super) payload: Payload,
    pub(super) expect: Expect,
}

fn envelope(event: &str, data: Option<Value>) -> Value {
    let mut frame = json!({"event": event});
    if let Some(data) = data {
        frame["data"] = data;
    }
    frame
}

fn answer(kind: &'static str, frame: Value, event: &str, code: Option<&'static str>) -> Case {
    Case {
        kind,
        payload: Payload::Json {
            frame,
            keep_ref: false,
        },
        expect: Expect::Answer {
            event: event.to_owned(),
            code,
        },
    }
}

/// Well-formed frames of every client event.
pub(super) fn well_formed(docs: &Docs, pools: &Pools) -> BoxedStrategy<Case> {
    Union::new(docs.events.iter().map(|event| {
        let name = event.name.clone();
        docs.generate(&event.data, pools)
            .prop_map(move |data| answer("well-formed", envelope(&name, Some(data)), &name, None))
            .boxed()
    }))
    .boxed()
}

/// Values of a JSON type other than those in `types`.
fn wrong_values(types: &BTreeSet<&str>) -> Vec<Value> {
    [
        json!(null),
        json!(true),
        json!(7),
        json!(1.5),
        json!("seven"),
        json!([1]),
        json!({"a": 1}),
    ]
    .into_iter()
    .filter(|v| !admits(types, type_of(v)))
    .collect()
}

/// Well-formed frames spoiled in one way each.
pub(super) fn mutated(docs: &Docs, pools: &Pools) -> BoxedStrategy<Case> {
    let mut all: Vec<BoxedStrategy<Case>> = Vec::new();
    for event in &docs.events {
        let name = event.name.clone();
        let base = docs.generate(&event.data, pools);
        let fields = docs.fields(&event.data);
        let needs_data = fields.iter().any(|(_, _, required)| *required);
        for (field, schema, required) in fields {
            let (n, f) = (name.clone(), field.clone());
            if required {
                all.push(
                    base.clone()
                        .prop_map(move |mut data| {
                            data.as_object_mut().unwrap().remove(&f);
                            answer(
                                "missing field",
                                envelope(&n, Some(data)),
                                &n,
                                Some("invalid_data"),
                            )
                        })
                        .boxed(),
                );
            }
            let wrong = wrong_values(&docs.types(&schema));
            let (n, f) = (name.clone(), field.clone());
            all.push(
                (base.clone(), select(wrong))
                    .prop_map(move |(mut data, value)| {
                        data[&f] = value;
                        answer("wrong type", envelope(&n, Some(data)), &n, Some("invalid_data"))
                    })
                    .boxed(),
            );
            let types = docs.types(&schema);
            let (n, f) = (name.clone(), field.clone());
            if types.contains("integer") {
                let out_of_range = select(vec![
                    json!(1e30),
                    serde_json::from_str::<Value>("18446744073709551616").unwrap(),
                    serde_json::from_str::<Value>("-9223372036854775809").unwrap(),
                ]);
                all.push(
                    (base.clone(), out_of_range)
                        .prop_map(move |(mut data, value)| {
                            data[&f] = value;
                            answer("out of range", envelope(&n, Some(data)), &n, Some("invalid_data"))
                        })
                        .boxed(),
                );
            } else if types.contains("string") {
                all.push(
                    (base.clone(), 4_000usize..30_000)
                        .prop_map(move |(mut data, len)| {
                            data[&f] = json!("x".repeat(len));
                            answer("huge string", envelope(&n, Some(data)), &n, None)
                        })
                        .boxed(),
                );
            }
        }
        let n = name.clone();
        all.push(
            (base.clone(), "[a-z_]{1,12}", pools.text())
                .prop_map(move |(mut data, key, value)| {
                    data[format!("x_{key}")] = json!(value);
                    answer("extra field", envelope(&n, Some(data)), &n, None)
                })
                .boxed(),
        );
        let n = name.clone();
        all.push(
            (base.clone(), select(vec!["_x", "!", " "]))
                .prop_map(move |(data, suffix)| {
                    let unknown = format!("{n}{suffix}");
                    answer(
                        "unknown event",
                        envelope(&unknown, Some(data)),
                        &n,
                        Some("unknown_event"),
                    )
                })
                .boxed(),
        );
        let n = name.clone();
        all.push(
            select(vec![json!(5), json!("data"), json!([]), json!(false)])
                .prop_map(move |data| {
                    answer(
                        "data not an object",
                        envelope(&n, Some(data)),
                        &n,
                        Some("invalid_data"),
                    )
                })
                .boxed(),
        );
        let n = name.clone();
        let code = needs_data.then_some("invalid_data");
        all.push(
            select(vec![None, Some(Value::Null)])
                .prop_map(move |data| answer("no data", envelope(&n, data), &n, code))
                .boxed(),
        );
        let n = name.clone();
        all.push(
            (base.clone(), 65usize..300)
                .prop_map(move |(data, len)| {
                    let mut frame = envelope(&n, Some(data));
                    frame["ref"] = json!("L".repeat(len));
                    Case {
                        kind: "long ref",
                        payload: Payload::Json {
                            frame,
                            keep_ref: true,
                        },
                        expect: Expect::RefLess(&["invalid_frame"]),
                    }
                })
                .boxed(),
        );
        let n = name.clone();
        all.push(
            (
                base.clone(),
                select(vec![json!(42), json!(["r"]), json!({"r": 1}), json!(true)]),
            )
                .prop_map(move |(data, reference)| {
                    let mut frame = envelope(&n, Some(data));
                    frame["ref"] = reference;
                    Case {
                        kind: "ref not a string",
                        payload: Payload::Json {
                            frame,
                            keep_ref: true,
                        },
                        expect: Expect::RefLess(&["invalid_frame"]),
                    }
                })
                .boxed(),
        );
        let n = name.clone();
        all.push(
            (
                base.clone(),
                select(vec![json!(1), json!(null), json!(["ping"]), json!({})]),
            )
                .prop_map(move |(data, event)| {
                    let mut frame = envelope(&n, Some(data));
                    frame["event"] = event;
                    Case {
                        kind: "event not a string",
                        payload: Payload::Json {
                            frame,
                            keep_ref: true,
                        },
                        expect: Expect::RefLess(&["invalid_frame"]),
                    }
                })
                .boxed(),
        );
        let n = name.clone();
        all.push(
            (base, any::<prop::sample::Index>())
                .prop_map(move |(data, cut)| {
                    let text = envelope(&n, Some(data)).to_string();
                    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
                    Case {
                        kind: "truncated JSON",
                        payload: Payload::Text(text[..*cut.get(&bounds)].to_owned()),
                        expect: Expect::RefLess(&["invalid_json"]),
                    }
                })
                .boxed(),
        );
    }
    Union::new(all).boxed()
}

/// Frames that are not envelopes at all.
pub(super) fn random() -> BoxedStrategy<Case> {
    let refless = |kind: &'static str, codes: &'static [&'static str]| {
        move |payload: Payload| Case {
            kind,
            payload,
            expect: Expect::RefLess(codes),
        }
    };
    prop_oneof![
        40 => any::<String>()
            .prop_map(Payload::Text)
            .prop_map(refless("arbitrary text", &["invalid_json", "invalid_frame"])),
        20 => select(vec!["", " ", "{", "}", "null", "[]", "{}", "\"ping\"", "{\"event\":", "1e999"])
            .prop_map(|t| Payload::Text(t.to_owned()))
            .prop_map(refless("invalid JSON", &["invalid_json", "invalid_frame"])),
        20 => proptest::collection::vec(any::<u8>(), 0..64)
            .prop_map(Payload::Binary)
            .prop_map(refless("binary", &["binary_not_supported"])),
        10 => Just(Case { kind: "ping frame", payload: Payload::Ping, expect: Expect::Nothing }),
        1 => proptest::collection::vec(0x80u8.., 1..8).prop_map(|bytes| Case {
            kind: "text not UTF-8",
            payload: Payload::RawText { bytes: [b"{\"event\":\"".as_slice(), &bytes].concat(), reserved: false },
            expect: Expect::Close(1007),
        }),
        1 => Just(Case {
            kind: "reserved bit set",
            payload: Payload::RawText { bytes: br#"{"event":"ping"}"#.to_vec(), reserved: true },
            expect: Expect::Close(1002),
        }),
        // Rare: each costs a reconnect.
        1 => (MAX_FRAME + 1..MAX_FRAME + 20_000, any::<bool>())
            .prop_map(|(len, binary)| Case {
                kind: "over the size limit",
                payload: if binary { Payload::Binary(vec![b'{'; len]) } else { Payload::Text("x".repeat(len)) },
                expect: Expect::Close(1009),
            }),
    ]
    .boxed()
}
