//! Edits one field of a JSON Lines record and leaves every other byte of the line as it was.
//!
//! A cleaned corpus should differ from its input only where paragraphs were removed: key order,
//! spacing, number spelling and escapes of the other fields are kept by cutting the new value into
//! the original line instead of re-serializing the record. Only the edited value is written anew
//! (by serde_json: `"`, `\` and control characters escaped, everything else as UTF-8).

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use std::ops::Range;

/// The entries of one JSON object, in the order they appear, values left unparsed.
struct RawObject<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for RawObject<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for ObjectVisitor<'a> {
            type Value = RawObject<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push((key, value));
                }
                Ok(RawObject(entries))
            }
        }
        deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
    }
}

/// Why a field of a record cannot be read or set.
#[derive(Debug)]
pub enum FieldError {
    /// The record is not a JSON object.
    InvalidJson(serde_json::Error),
    /// No value at the path.
    Missing(String),
    /// The value at the path is not a string.
    NotString(String),
    /// The object does not end with `}` (trailing text after it).
    Unclosed,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::InvalidJson(e) => write!(f, "invalid JSON: {e}"),
            FieldError::Missing(path) => write!(f, "missing field '{path}'"),
            FieldError::NotString(path) => write!(f, "field '{path}' is not a string"),
            FieldError::Unclosed => f.write_str("a JSON object must end with '}'"),
        }
    }
}

impl std::error::Error for FieldError {}

/// Where `inner` (a slice of `outer`) starts in `outer`.
fn offset_in(outer: &str, inner: &str) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

/// Parses `text` as a JSON object, keeping each value's byte range in `text`.
fn entries(text: &str) -> Result<Vec<(String, Range<usize>)>, FieldError> {
    let object: RawObject = serde_json::from_str(text).map_err(FieldError::InvalidJson)?;
    Ok(object
        .0
        .into_iter()
        .map(|(key, raw)| {
            let start = offset_in(text, raw.get());
            (key, start..start + raw.get().len())
        })
        .collect())
}

/// The byte range of the value at a dotted path (`meta.body`) in a JSON object `line`, or `None`
/// when the path does not lead to a value. As in serde_json, a repeated key means its last value.
pub fn field_range(line: &str, dotted: &str) -> Result<Option<Range<usize>>, FieldError> {
    let mut base = 0;
    let mut current = line;
    let mut keys = dotted.split('.').peekable();
    while let Some(key) = keys.next() {
        let object = if base == 0 {
            entries(current)?
        } else {
            match entries(current) {
                Ok(object) => object,
                // A value on the path that is not an object: the path leads nowhere.
                Err(_) => return Ok(None),
            }
        };
        let Some((_, range)) = object.into_iter().rev().find(|(k, _)| k == key) else {
            return Ok(None);
        };
        let range = base + range.start..base + range.end;
        if keys.peek().is_none() {
            return Ok(Some(range));
        }
        base = range.start;
        current = &line[range];
    }
    Ok(None)
}

/// Reads the string value at a dotted path, with its byte range in `line`.
pub fn string_field(line: &str, dotted: &str) -> Result<(String, Range<usize>), FieldError> {
    let range = field_range(line, dotted)?.ok_or_else(|| FieldError::Missing(dotted.into()))?;
    let value: String = serde_json::from_str(&line[range.clone()])
        .map_err(|_| FieldError::NotString(dotted.into()))?;
    Ok((value, range))
}

/// `line` with the bytes of `range` replaced by `replacement`.
pub fn replace(line: &str, range: Range<usize>, replacement: &str) -> String {
    let mut out = String::with_capacity(line.len() - range.len() + replacement.len());
    out.push_str(&line[..range.start]);
    out.push_str(replacement);
    out.push_str(&line[range.end..]);
    out
}

/// The JSON spelling of a string.
pub fn json_string(value: &str) -> String {
    // Serializing a str cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// `line` with the top-level field `key` set to the raw JSON `value`: replaced where the record
/// has it, otherwise added as the last field.
pub fn set_field(line: &str, key: &str, value: &str) -> Result<String, FieldError> {
    let object = entries(line)?;
    if let Some((_, range)) = object.iter().rev().find(|(k, _)| k == key) {
        return Ok(replace(line, range.clone(), value));
    }
    let close = line
        .trim_end()
        .len()
        .checked_sub(1)
        .filter(|&i| line.as_bytes()[i] == b'}')
        .ok_or(FieldError::Unclosed)?;
    let separator = if object.is_empty() { "" } else { "," };
    let addition = format!("{separator}{}:{value}", json_string(key));
    Ok(replace(line, close..close, &addition))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_a_nested_string_and_keeps_everything_else() {
        let line = r#"{"id": 7, "meta": {"body": "old \u00e9 text", "n": 1.50}, "z": [1,2]}"#;
        let (text, range) = string_field(line, "meta.body").unwrap();
        assert_eq!(text, "old é text");
        let edited = replace(line, range, &json_string("new \"text\""));
        assert_eq!(
            edited,
            r#"{"id": 7, "meta": {"body": "new \"text\"", "n": 1.50}, "z": [1,2]}"#
        );
    }

    #[test]
    fn a_repeated_key_means_its_last_value() {
        let line = r#"{"text":"first","text":"second"}"#;
        assert_eq!(string_field(line, "text").unwrap().0, "second");
    }

    #[test]
    fn missing_and_non_string_fields_are_errors() {
        let kind = |line: &str, path: &str| match string_field(line, path) {
            Err(FieldError::InvalidJson(_)) => "invalid",
            Err(FieldError::Missing(_)) => "missing",
            Err(FieldError::NotString(_)) => "not a string",
            Err(FieldError::Unclosed) => "unclosed",
            Ok(_) => "ok",
        };
        assert_eq!(kind(r#"{"a":1}"#, "text"), "missing");
        assert_eq!(kind(r#"{"text":1}"#, "text"), "not a string");
        assert_eq!(kind(r#"{"meta":"flat"}"#, "meta.body"), "missing");
        assert_eq!(kind("[1,2]", "text"), "invalid");
        assert_eq!(kind("{", "text"), "invalid");
        assert_eq!(
            string_field(r#"{"text":1}"#, "text")
                .unwrap_err()
                .to_string(),
            "field 'text' is not a string"
        );
    }

    #[test]
    fn set_field_adds_or_replaces() {
        assert_eq!(
            set_field(r#"{"a": 1 }"#, "p", "[2]").unwrap(),
            r#"{"a": 1 ,"p":[2]}"#
        );
        assert_eq!(set_field("{}", "p", "3").unwrap(), r#"{"p":3}"#);
        assert_eq!(
            set_field(r#"{"p": null, "b": 2}"#, "p", "3").unwrap(),
            r#"{"p": 3, "b": 2}"#
        );
        let added = set_field(r#"{"text":"x","n":1}"#, "paradup", r#"{"k":[]}"#).unwrap();
        let value: serde_json::Value = serde_json::from_str(&added).unwrap();
        assert_eq!(value["paradup"]["k"], serde_json::json!([]));
    }
}
