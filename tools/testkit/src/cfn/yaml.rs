//! The one YAML reader of templates: YAML to a JSON document, CloudFormation's short-form
//! tags kept (saphyr parses `!Ref X` as a tagged node; serde_yaml is unmaintained).

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Value};

/// The first YAML document of `text` as JSON, a tagged node `!Tag x` becoming the one-key
/// object `{"!Tag": x}` (`!Ref X` → `{"!Ref": "X"}`), which the evaluator reads like the
/// long form `{"Ref": "X"}` / `{"Fn::Sub": …}`.
pub fn to_json_document(text: &str) -> Result<Value, String> {
    let docs = Yaml::load_from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    Ok(docs.first().map(to_json).unwrap_or(Value::Null))
}

fn to_json(node: &Yaml<'_>) -> Value {
    match node {
        Yaml::Value(scalar) => scalar_json(scalar),
        Yaml::Representation(text, _, _) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Yaml::Tagged(tag, inner) => {
            let mut map = Map::new();
            map.insert(format!("{}{}", tag.handle, tag.suffix), to_json(inner));
            Value::Object(map)
        }
        _ => Value::Null,
    }
}

fn scalar_json(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::from(*i),
        Scalar::FloatingPoint(f) => {
            serde_json::Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number)
        }
        Scalar::String(s) => Value::String(s.to_string()),
    }
}
