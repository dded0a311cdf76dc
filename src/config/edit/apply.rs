//! Set, unset and merge: each finds the spot in the syntax tree and turns
//! the change into byte-range edits of the original text.

use serde_json::{Map, Value};

use super::parse_value;
use super::path::{Segment, display_path};
use super::style::{Style, end_of_line_after, indent_at, leading_indent, line_start, same_line};
use super::syntax::{Node, first_non_space, parse_tree};
use crate::error::{Error, Result};

struct Edit {
    start: usize,
    end: usize,
    text: String,
}

fn apply(text: &str, edits: Vec<Edit>) -> String {
    // From the end backwards; at one offset the later edit goes first, so
    // the texts end up in the order they were pushed.
    let mut edits: Vec<(usize, Edit)> = edits.into_iter().enumerate().collect();
    edits.sort_by_key(|(i, e)| (std::cmp::Reverse(e.start), std::cmp::Reverse(*i)));
    let mut out = text.to_owned();
    for (_, edit) in edits {
        out.replace_range(edit.start..edit.end, &edit.text);
    }
    out
}

fn kind_name(node: &Node) -> &'static str {
    match node {
        Node::Object { .. } => "an object",
        Node::Array { .. } => "an array",
        Node::Scalar { .. } => "a value",
    }
}

/// Wrap `value` in objects for the path segments not present yet.
fn nest(rest: &[Segment], value: Value) -> Result<Value> {
    let mut value = value;
    for segment in rest.iter().rev() {
        match segment {
            Segment::Key(key) => {
                let mut map = Map::new();
                map.insert(key.clone(), value);
                value = Value::Object(map);
            }
            Segment::Index(0) => value = Value::Array(vec![value]),
            Segment::Index(index) => {
                return Err(Error::usage(format!(
                    "cannot create list item [{index}]: the list does not exist"
                )));
            }
        }
    }
    Ok(value)
}

/// Set the value at `path`, creating missing objects. Returns the new text.
pub fn set(text: &str, path: &[Segment], value: &Value) -> Result<String> {
    let root = parse_tree(text)?;
    let style = Style::detect(text, root.as_ref());
    let Some(root) = root else {
        let whole = nest(path, value.clone())?;
        if !whole.is_object() {
            return Err(Error::usage("the config root must be an object"));
        }
        return Ok(style.render(&whole, "") + "\n");
    };
    if !matches!(root, Node::Object { .. }) {
        return Err(Error::config("the config root is not an object"));
    }
    let mut node = &root;
    for (depth, segment) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        match (node, segment) {
            (Node::Object { members, .. }, Segment::Key(key)) => {
                match members.iter().rev().find(|m| &m.key == key) {
                    Some(member) if last => {
                        return Ok(replace(text, &style, &member.value, value));
                    }
                    Some(member) => node = &member.value,
                    None => {
                        let nested = nest(&path[depth + 1..], value.clone())?;
                        return Ok(insert_member(text, &style, node, key, &nested));
                    }
                }
            }
            (Node::Array { items, .. }, Segment::Index(index)) => {
                if let Some(item) = items.get(*index) {
                    if last {
                        return Ok(replace(text, &style, &item.value, value));
                    }
                    node = &item.value;
                } else if *index == items.len() {
                    let nested = nest(&path[depth + 1..], value.clone())?;
                    return Ok(insert_item(text, &style, node, &nested));
                } else {
                    return Err(Error::usage(format!(
                        "`{}` has {} items; cannot set [{index}]",
                        display_path(&path[..depth]),
                        items.len()
                    )));
                }
            }
            (other, segment) => {
                return Err(Error::usage(format!(
                    "cannot set `{}`: `{}` is {}, not {}",
                    display_path(path),
                    if depth == 0 {
                        "the root".to_owned()
                    } else {
                        display_path(&path[..depth])
                    },
                    kind_name(other),
                    if matches!(segment, Segment::Index(_)) {
                        "an array"
                    } else {
                        "an object"
                    },
                )));
            }
        }
    }
    unreachable!("a non-empty path returns inside the loop")
}

fn replace(text: &str, style: &Style, old: &Node, value: &Value) -> String {
    let indent = leading_indent(text, old.start());
    let rendered = style.render(value, &indent);
    apply(
        text,
        vec![Edit {
            start: old.start(),
            end: old.end(),
            text: rendered,
        }],
    )
}

fn insert_member(text: &str, style: &Style, object: &Node, key: &str, value: &Value) -> String {
    let Node::Object {
        start,
        end,
        members,
    } = object
    else {
        unreachable!()
    };
    let (open, close) = (*start, *end - 1);
    match members.last() {
        None => {
            let outer = leading_indent(text, open);
            let multiline = !same_line(text, open, close) || open == first_non_space(text);
            // Only whitespace inside is replaced; a comment inside stays.
            let blank = text[open + 1..close].trim().is_empty();
            let end = if blank { close } else { open + 1 };
            if multiline {
                let inner = format!("{outer}{}", style.unit);
                let member = format!("{}: {}", style.key(key), style.render(value, &inner));
                let comma = if style.trailing_commas { "," } else { "" };
                let tail = if blank {
                    format!("\n{outer}")
                } else {
                    String::new()
                };
                apply(
                    text,
                    vec![Edit {
                        start: open + 1,
                        end,
                        text: format!("\n{inner}{member}{comma}{tail}"),
                    }],
                )
            } else {
                let member = format!("{}: {}", style.key(key), style.render_inline(value));
                let tail = if blank { " " } else { "" };
                apply(
                    text,
                    vec![Edit {
                        start: open + 1,
                        end,
                        text: format!(" {member}{tail}"),
                    }],
                )
            }
        }
        Some(last) => {
            let multiline = !same_line(text, open, last.key_start);
            if multiline {
                let indent = indent_at(text, last.key_start)
                    .unwrap_or_else(|| format!("{}{}", leading_indent(text, open), style.unit));
                let member = format!("{}: {}", style.key(key), style.render(value, &indent));
                insert_after_last(
                    text,
                    style,
                    last.value.end(),
                    last.comma,
                    &indent,
                    member,
                    close,
                )
            } else {
                // `{a: 1}` -> `{a: 1, b: 2}`; `{a: 1,}` -> `{a: 1, b: 2,}`
                let member = format!("{}: {}", style.key(key), style.render_inline(value));
                apply(
                    text,
                    vec![Edit {
                        start: last.value.end(),
                        end: last.value.end(),
                        text: format!(", {member}"),
                    }],
                )
            }
        }
    }
}

fn insert_item(text: &str, style: &Style, array: &Node, value: &Value) -> String {
    let Node::Array { start, end, items } = array else {
        unreachable!()
    };
    let (open, close) = (*start, *end - 1);
    match items.last() {
        None => {
            let outer = leading_indent(text, open);
            if !same_line(text, open, close) {
                let inner = format!("{outer}{}", style.unit);
                let comma = if style.trailing_commas { "," } else { "" };
                let rendered = style.render(value, &inner);
                apply(
                    text,
                    vec![Edit {
                        start: open + 1,
                        end: close,
                        text: format!("\n{inner}{rendered}{comma}\n{outer}"),
                    }],
                )
            } else {
                let rendered = style.render_inline(value);
                apply(
                    text,
                    vec![Edit {
                        start: open + 1,
                        end: close,
                        text: rendered,
                    }],
                )
            }
        }
        Some(last) => {
            if !same_line(text, open, last.value.start()) {
                let indent = indent_at(text, last.value.start())
                    .unwrap_or_else(|| format!("{}{}", leading_indent(text, open), style.unit));
                let rendered = style.render(value, &indent);
                insert_after_last(
                    text,
                    style,
                    last.value.end(),
                    last.comma,
                    &indent,
                    rendered,
                    close,
                )
            } else {
                let rendered = style.render_inline(value);
                apply(
                    text,
                    vec![Edit {
                        start: last.value.end(),
                        end: last.value.end(),
                        text: format!(", {rendered}"),
                    }],
                )
            }
        }
    }
}

/// Add `entry` on its own line after the last entry of a multi-line
/// object or array, keeping a comment that ends the last entry's line.
fn insert_after_last(
    text: &str,
    style: &Style,
    value_end: usize,
    comma: Option<usize>,
    indent: &str,
    entry: String,
    close: usize,
) -> String {
    let mut edits = Vec::new();
    let after = match comma {
        Some(comma) => comma + 1,
        None => {
            edits.push(Edit {
                start: value_end,
                end: value_end,
                text: ",".to_owned(),
            });
            value_end
        }
    };
    let trailing = if comma.is_some() || style.trailing_commas {
        ","
    } else {
        ""
    };
    match end_of_line_after(text, after).filter(|eol| *eol < close) {
        Some(eol) => edits.push(Edit {
            start: eol,
            end: eol,
            text: format!("\n{indent}{entry}{trailing}"),
        }),
        None => edits.push(Edit {
            start: after,
            end: after,
            text: format!("\n{indent}{entry}{trailing}"),
        }),
    }
    apply(text, edits)
}

/// Remove the value at `path` with its key and comma. `Ok(None)` when the
/// path is not in the file.
pub fn unset(text: &str, path: &[Segment]) -> Result<Option<String>> {
    let Some(root) = parse_tree(text)? else {
        return Ok(None);
    };
    let mut node = &root;
    for (depth, segment) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        match (node, segment) {
            (Node::Object { members, .. }, Segment::Key(key)) => {
                let Some(index) = members.iter().rposition(|m| &m.key == key) else {
                    return Ok(None);
                };
                if last {
                    let spans: Vec<(usize, usize, Option<usize>)> = members
                        .iter()
                        .map(|m| (m.key_start, m.value.end(), m.comma))
                        .collect();
                    return Ok(Some(remove_entry(text, &spans, index)));
                }
                node = &members[index].value;
            }
            (Node::Array { items, .. }, Segment::Index(index)) => {
                if *index >= items.len() {
                    return Ok(None);
                }
                if last {
                    let spans: Vec<(usize, usize, Option<usize>)> = items
                        .iter()
                        .map(|i| (i.value.start(), i.value.end(), i.comma))
                        .collect();
                    return Ok(Some(remove_entry(text, &spans, *index)));
                }
                node = &items[*index].value;
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// `entries` are (start, value end, comma) of each entry of one container.
fn remove_entry(text: &str, entries: &[(usize, usize, Option<usize>)], index: usize) -> String {
    let (start, value_end, comma) = entries[index];
    let mut edits = Vec::new();
    let mut end = comma.map_or(value_end, |c| c + 1);
    let mut begin = start;
    let own_line = indent_at(text, start).is_some();
    if own_line {
        // Take the whole line(s) when nothing else shares them.
        // (a comment that ends the line belongs to the entry).
        if let Some(eol) = end_of_line_after(text, end) {
            begin = line_start(text, start);
            end = (eol + 1).min(text.len());
        }
    } else if comma.is_some() {
        // `a: 1, b: 2` -> `a: 1` when removing `b`, or `b: 2` when removing `a`.
        let bytes = text.as_bytes();
        while end < bytes.len() && (bytes[end] == b' ' || bytes[end] == b'\t') {
            end += 1;
        }
    }
    // The last entry without a comma: drop the comma of the one before.
    if comma.is_none() && index > 0 {
        if let (_, _, Some(previous_comma)) = entries[index - 1] {
            edits.push(Edit {
                start: previous_comma,
                end: previous_comma + 1,
                text: String::new(),
            });
            if !own_line {
                begin = previous_comma + 1;
            }
        }
    }
    edits.push(Edit {
        start: begin,
        end,
        text: String::new(),
    });
    // Overlapping edits cannot happen: the previous comma comes before `begin`.
    apply(text, edits)
}

/// The value at `path` in parsed config JSON.
pub fn get<'v>(root: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    let mut node = root;
    for segment in path {
        node = match (node, segment) {
            (Value::Object(map), Segment::Key(key)) => map.get(key)?,
            (Value::Array(items), Segment::Index(index)) => items.get(*index)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Deep-merge `patch` into the file at `path`, one leaf at a time so the
/// comments inside existing objects stay. Arrays gain the items they lack
/// (an item with the `id` of an existing one merges into it).
pub fn merge(text: &str, path: &[Segment], patch: &Value) -> Result<String> {
    let current = parse_value(text)?;
    merge_at(text.to_owned(), &current, path.to_vec(), patch)
}

fn merge_at(text: String, current: &Value, path: Vec<Segment>, patch: &Value) -> Result<String> {
    let existing = get(current, &path);
    match (existing, patch) {
        (Some(Value::Object(_)), Value::Object(map)) => {
            let mut text = text;
            for (key, value) in map {
                let mut child = path.clone();
                child.push(Segment::Key(key.clone()));
                let now = parse_value(&text)?;
                text = merge_at(text, &now, child, value)?;
            }
            Ok(text)
        }
        (Some(Value::Array(items)), Value::Array(additions)) => {
            let mut text = text;
            let mut count = items.len();
            for addition in additions {
                let same_id = addition
                    .get("id")
                    .and_then(|id| items.iter().position(|item| item.get("id") == Some(id)));
                if let Some(position) = same_id {
                    let mut child = path.clone();
                    child.push(Segment::Index(position));
                    let now = parse_value(&text)?;
                    text = merge_at(text, &now, child, addition)?;
                } else if !items.contains(addition) {
                    let mut child = path.clone();
                    child.push(Segment::Index(count));
                    text = set(&text, &child, addition)?;
                    count += 1;
                }
            }
            Ok(text)
        }
        (Some(old), new) if old == new => Ok(text),
        _ => set(&text, &path, patch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::edit::parse_path;
    use serde_json::json;

    fn p(path: &str) -> Vec<Segment> {
        parse_path(path).unwrap()
    }

    fn set_str(text: &str, path: &str, value: Value) -> String {
        let out = set(text, &p(path), &value).unwrap();
        let parsed = parse_value(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(get(&parsed, &p(path)), Some(&value), "{out}");
        out
    }

    const SAMPLE: &str = r#"// my config
{
  /* agents */
  agents: {
    defaults: {
      model: { primary: "openai/gpt-5.4" }, // inline note
      timeoutSeconds: 30,
    },
  },
  // providers below
  'models': {
    providers: {},
  },
}
"#;

    #[test]
    fn replaces_only_the_value() {
        let out = set_str(
            SAMPLE,
            "agents.defaults.model.primary",
            json!("huggingface/deepseek-ai/DeepSeek-R1"),
        );
        assert_eq!(
            out,
            SAMPLE.replace("openai/gpt-5.4", "huggingface/deepseek-ai/DeepSeek-R1")
        );
        let out = set_str(SAMPLE, "agents.defaults.timeoutSeconds", json!(60));
        assert_eq!(out, SAMPLE.replace("30", "60"));
    }

    #[test]
    fn inserts_keys_with_the_surrounding_indentation() {
        let out = set_str(
            SAMPLE,
            "agents.defaults.models[\"huggingface/x:fastest\"].alias",
            json!("Fast"),
        );
        assert!(out.contains("      timeoutSeconds: 30,\n      models: {\n        \"huggingface/x:fastest\": {\n          alias: \"Fast\",\n        },\n      },\n    },"), "{out}");
        assert!(
            out.contains("// inline note")
                && out.contains("/* agents */")
                && out.starts_with("// my config")
        );
    }

    #[test]
    fn keeps_a_comment_that_ends_the_last_line() {
        let text = "{\n  a: 1, // one\n}\n";
        let out = set_str(text, "b", json!(2));
        assert_eq!(out, "{\n  a: 1, // one\n  b: 2,\n}\n");
        let text = "{\n  \"a\": 1 // one\n}\n";
        let out = set_str(text, "b", json!(true));
        assert_eq!(out, "{\n  \"a\": 1, // one\n  \"b\": true\n}\n");
    }

    #[test]
    fn fills_empty_objects_and_files() {
        let out = set_str(
            SAMPLE,
            "models.providers.huggingface.baseUrl",
            json!("http://127.0.0.1:9/v1"),
        );
        assert!(
            out.contains("providers: { huggingface: { baseUrl: \"http://127.0.0.1:9/v1\" } },"),
            "{out}"
        );
        assert_eq!(
            set_str("", "a.b", json!(1)),
            "{\n  a: {\n    b: 1,\n  },\n}\n"
        );
        assert_eq!(set_str("{}\n", "a", json!("x")), "{\n  a: \"x\",\n}\n");
        assert_eq!(
            set_str("{ /* c */ }", "a", json!(1)),
            "{\n  a: 1, /* c */ }"
        );
        assert_eq!(
            set_str("{x: { /* c */ }}", "x.a", json!(1)),
            "{x: { a: 1 /* c */ }}"
        );
    }

    #[test]
    fn single_line_objects_stay_on_one_line() {
        assert_eq!(set_str("{a: {b: 1}}", "a.c", json!(2)), "{a: {b: 1, c: 2}}");
        assert_eq!(set_str("{a: [1, 2]}", "a[2]", json!(3)), "{a: [1, 2, 3]}");
        assert_eq!(
            set_str("{a: [1, 2]}", "a[0]", json!({"x": 1})),
            "{a: [{\n  x: 1\n}, 2]}"
        );
    }

    #[test]
    fn arrays_by_index() {
        let text = "{\n  models: { providers: { huggingface: { models: [\n    { id: \"a\" }, // first\n  ] } } },\n}\n";
        let out = set_str(
            text,
            "models.providers.huggingface.models[0].alias",
            json!("A"),
        );
        assert!(
            out.contains("{ id: \"a\", alias: \"A\" }, // first"),
            "{out}"
        );
        let out = set_str(
            text,
            "models.providers.huggingface.models[1]",
            json!({"id": "b"}),
        );
        assert!(
            out.contains("// first\n    {\n      id: \"b\"\n    },\n  ]"),
            "{out}"
        );
        assert!(
            set(
                text,
                &p("models.providers.huggingface.models[5]"),
                &json!(1)
            )
            .is_err()
        );
        assert!(set(text, &p("models.providers.huggingface.models.x"), &json!(1)).is_err());
    }

    #[test]
    fn strings_with_tricky_content_are_skipped_correctly() {
        let text = "{\n  a: 'it\\'s // not a comment }',\n  \"b\": \"/* nor this */\",\n}\n";
        let out = set_str(text, "c", json!(1));
        assert!(
            out.starts_with(
                "{\n  a: 'it\\'s // not a comment }',\n  \"b\": \"/* nor this */\",\n  c: 1,\n}"
            ),
            "{out}"
        );
    }

    #[test]
    fn unset_removes_key_and_comma() {
        let out = unset(SAMPLE, &p("agents.defaults.timeoutSeconds"))
            .unwrap()
            .unwrap();
        assert_eq!(out, SAMPLE.replace("      timeoutSeconds: 30,\n", ""));
        let out = unset(SAMPLE, &p("agents.defaults.model")).unwrap().unwrap();
        assert!(
            !out.contains("inline note") && out.contains("      timeoutSeconds: 30,\n"),
            "{out}"
        );
        assert!(unset(SAMPLE, &p("agents.nothing")).unwrap().is_none());
        assert!(
            unset(SAMPLE, &p("agents.defaults.model.primary.deeper"))
                .unwrap()
                .is_none()
        );

        assert_eq!(unset("{a: 1, b: 2}", &p("b")).unwrap().unwrap(), "{a: 1}");
        assert_eq!(unset("{a: 1, b: 2}", &p("a")).unwrap().unwrap(), "{b: 2}");
        assert_eq!(
            unset("{\n  \"a\": 1,\n  \"b\": 2\n}", &p("b"))
                .unwrap()
                .unwrap(),
            "{\n  \"a\": 1\n}"
        );
        assert_eq!(
            unset("{a: [1, 2, 3]}", &p("a[1]")).unwrap().unwrap(),
            "{a: [1, 3]}"
        );
        for text in [SAMPLE, "{a: 1, b: 2}"] {
            let out = unset(text, &p("a")).unwrap().unwrap_or_default();
            parse_value(&out).unwrap();
        }
    }

    #[test]
    fn merge_keeps_existing_entries_and_comments() {
        let text = "{\n  agents: { defaults: { models: {\n    // keep me\n    \"openai/gpt-5.4\": { alias: \"G\" },\n  } } },\n}\n";
        let out = merge(
            text,
            &p("agents.defaults.models"),
            &json!({"huggingface/x": {"alias": "X"}, "openai/gpt-5.4": {"params": {"a": 1}}}),
        )
        .unwrap();
        let value = parse_value(&out).unwrap();
        assert_eq!(
            value["agents"]["defaults"]["models"]["openai/gpt-5.4"]["alias"],
            "G"
        );
        assert_eq!(
            value["agents"]["defaults"]["models"]["openai/gpt-5.4"]["params"]["a"],
            1
        );
        assert_eq!(
            value["agents"]["defaults"]["models"]["huggingface/x"]["alias"],
            "X"
        );
        assert!(out.contains("// keep me"));

        let text = "{models: {providers: {ollama: {baseUrl: 'http://x', models: [{id: 'a', name: 'A'}]}}}}";
        let out = merge(
            text,
            &p("models.providers.ollama.models"),
            &json!([{"id": "a", "alias": "aa"}, {"id": "b"}]),
        )
        .unwrap();
        let value = parse_value(&out).unwrap();
        assert_eq!(
            value["models"]["providers"]["ollama"]["models"],
            json!([{"id": "a", "name": "A", "alias": "aa"}, {"id": "b"}])
        );
    }

    #[test]
    fn many_edits_in_a_row_stay_valid() {
        let mut text =
            "{\n  // mine\n  agents: { defaults: { timeoutSeconds: 30 } },\n}\n".to_owned();
        for (path, value) in [
            ("agents.defaults.model.primary", json!("huggingface/x")),
            ("gateway.mode", json!("local")),
            ("models.providers[\"custom\"].baseUrl", json!("http://x")),
            (
                "models.providers[\"custom\"].api",
                json!("openai-completions"),
            ),
            ("models.providers[\"custom\"].apiKey", json!("K")),
            (
                "models.providers[\"custom\"].models",
                json!([{"id": "foo", "input": ["text"]}]),
            ),
            (
                "models.providers[\"custom\"].models[1]",
                json!({"id": "bar"}),
            ),
            ("z", json!(null)),
        ] {
            text = set_str(&text, path, value);
        }
        assert!(text.starts_with("{\n  // mine\n  agents: { defaults: { timeoutSeconds: 30, model: { primary: \"huggingface/x\" } } },\n"), "{text}");
    }
}
