//! YAML (and JSON, which YAML reads too) as a tree whose nodes remember the
//! line they start on, so a finding can point at the key that is wrong.
//!
//! The events come from `granit-parser` (the parser under serde-saphyr, which
//! kube already uses). Scalars are typed the way Kubernetes reads manifests
//! (go-yaml, YAML 1.1): a plain `yes` or `on` is a boolean there, which is
//! why `agent-inject: yes` without quotes is refused by the API server.
//!
//! The tree is bounded: nesting depth and the number of nodes (aliases
//! included, so a "billion laughs" document fails fast) are capped.

use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle};

/// How much one input may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Nested collections, counting through aliases.
    pub max_depth: usize,
    /// Nodes in all documents of one input, aliases expanded.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 100,
            max_nodes: 2_000_000,
        }
    }
}

/// How Kubernetes would type a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Str,
    Bool(bool),
    Int,
    Float,
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub kind: ScalarKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A node and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

/// A mapping entry: the key, the line of the key, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub line: usize,
    pub value: Node,
}

/// One document of a stream (`---`-separated); empty documents are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// 1-based, counting empty documents too, as a reader counts `---`.
    pub index: usize,
    pub root: Node,
}

/// Why a text is not YAML (or costs too much), and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// go-yaml's (YAML 1.1) reading of a plain scalar.
fn resolve(text: &str) -> ScalarKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarKind::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return ScalarKind::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return ScalarKind::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | ".nan" | ".NaN" | ".NAN" => {
            return ScalarKind::Float;
        }
        _ => {}
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let digits = |s: &str, radix: u32| {
        !s.is_empty() && s.chars().all(|c| c == '_' || c.is_digit(radix)) && !s.starts_with('_')
    };
    if let Some(hex) = unsigned.strip_prefix("0x") {
        return if digits(hex, 16) {
            ScalarKind::Int
        } else {
            ScalarKind::Str
        };
    }
    if let Some(bin) = unsigned.strip_prefix("0b") {
        return if digits(bin, 2) {
            ScalarKind::Int
        } else {
            ScalarKind::Str
        };
    }
    if digits(unsigned, 10) {
        return ScalarKind::Int;
    }
    // [0-9]*.[0-9]*([eE][-+][0-9]+)?, with at least one digit.
    let (mantissa, exp) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e), 10));
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let int_ok = int.is_empty() || digits(int, 10);
    let frac_ok = frac.is_none_or(|f| f.is_empty() || digits(f, 10));
    let has_digit = mantissa.chars().any(|c| c.is_ascii_digit());
    if has_digit && int_ok && frac_ok && exp_ok {
        return ScalarKind::Float;
    }
    ScalarKind::Str
}

impl Node {
    /// The value of `key` in a mapping (the last one, as a JSON decoder keeps).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry of `key` in a mapping, with the line of the key.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().rev().find(|e| e.key == key)
    }

    /// The node at a path of mapping keys.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a scalar that Kubernetes reads as a string.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar()
            .filter(|s| s.kind == ScalarKind::Str)
            .map(|s| s.text.as_str())
    }

    /// The text of any scalar but null (a number or boolean as written).
    pub fn text(&self) -> Option<&str> {
        self.as_scalar()
            .filter(|s| s.kind != ScalarKind::Null)
            .map(|s| s.text.as_str())
    }

    /// "a mapping", "a boolean"...: what this node is, for messages.
    pub fn describe(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a mapping",
            Value::Seq(_) => "a list",
            Value::Scalar(s) => match s.kind {
                ScalarKind::Str => "a string",
                ScalarKind::Bool(_) => "a boolean",
                ScalarKind::Int | ScalarKind::Float => "a number",
                ScalarKind::Null => "null",
            },
        }
    }

    /// The node as JSON, typed as Kubernetes would read it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Map(m) => J::Object(
                m.iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
            Value::Seq(s) => J::Array(s.iter().map(Node::to_json).collect()),
            Value::Scalar(s) => match s.kind {
                ScalarKind::Str => J::String(s.text.clone()),
                ScalarKind::Bool(b) => J::Bool(b),
                ScalarKind::Null => J::Null,
                ScalarKind::Int | ScalarKind::Float => {
                    let t = s.text.replace('_', "");
                    t.parse::<i64>()
                        .map(J::from)
                        .ok()
                        .or_else(|| {
                            t.parse::<f64>()
                                .ok()
                                .and_then(|f| serde_json::Number::from_f64(f).map(J::Number))
                        })
                        .unwrap_or_else(|| J::String(s.text.clone()))
                }
            },
        }
    }
}

enum Frame {
    Seq {
        line: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        anchor: usize,
        entries: Vec<Entry>,
        /// A key read, waiting for its value.
        key: Option<(String, usize)>,
        /// `<<: *defaults` merge keys, applied when the mapping ends.
        merges: Vec<Node>,
    },
}

struct Builder {
    limits: Limits,
    stack: Vec<Frame>,
    /// Anchored nodes of the current document, with their node count and depth.
    anchors: HashMap<usize, (Node, usize, usize)>,
    /// Node count and depth of each open collection's finished children.
    counts: Vec<(usize, usize)>,
    nodes: usize,
    index: usize,
    root: Option<(Node, usize, usize)>,
    docs: Vec<Document>,
}

fn too_much(line: usize, message: String) -> SyntaxError {
    SyntaxError {
        line,
        column: 1,
        message,
    }
}

impl Builder {
    fn new(limits: Limits) -> Self {
        Builder {
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            counts: Vec::new(),
            nodes: 0,
            index: 0,
            root: None,
            docs: Vec::new(),
        }
    }

    fn open(&mut self, frame: Frame, line: usize) -> Result<(), SyntaxError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(too_much(
                line,
                format!("nested deeper than {} levels", self.limits.max_depth),
            ));
        }
        self.stack.push(frame);
        self.counts.push((0, 0));
        Ok(())
    }

    /// A finished node of `count` nodes and `depth` levels joins its parent.
    fn add(&mut self, node: Node, count: usize, depth: usize) -> Result<(), SyntaxError> {
        self.nodes += count;
        if self.nodes > self.limits.max_nodes {
            return Err(too_much(
                node.line,
                format!(
                    "more than {} nodes (aliases expanded): too large to check",
                    self.limits.max_nodes
                ),
            ));
        }
        if self.stack.len() + depth > self.limits.max_depth {
            return Err(too_much(
                node.line,
                format!(
                    "nested deeper than {} levels (aliases expanded)",
                    self.limits.max_depth
                ),
            ));
        }
        let Some(frame) = self.stack.last_mut() else {
            if self.root.is_none() {
                self.root = Some((node, count, depth));
            }
            return Ok(());
        };
        if let Some(c) = self.counts.last_mut() {
            c.0 += count;
            c.1 = c.1.max(depth);
        }
        match frame {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                key,
                merges,
                ..
            } => match key.take() {
                None => {
                    let text = match &node.value {
                        Value::Scalar(s) => s.text.clone(),
                        _ => "<complex key>".to_string(),
                    };
                    *key = Some((text, node.line));
                }
                Some((k, _)) if k == "<<" => merges.push(node),
                Some((k, line)) => entries.push(Entry {
                    key: k,
                    line,
                    value: node,
                }),
            },
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node, count: usize, depth: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), count, depth));
        }
    }

    fn close(&mut self) -> Result<(), SyntaxError> {
        let (Some(frame), Some((count, depth))) = (self.stack.pop(), self.counts.pop()) else {
            return Ok(());
        };
        let (node, anchor) = match frame {
            Frame::Seq {
                line,
                anchor,
                items,
            } => (
                Node {
                    line,
                    value: Value::Seq(items),
                },
                anchor,
            ),
            Frame::Map {
                line,
                anchor,
                mut entries,
                merges,
                ..
            } => {
                // go-yaml: a key of the mapping itself wins over merged ones.
                for m in merges {
                    let sources: Vec<Node> = match m.value {
                        Value::Seq(items) => items,
                        other => vec![Node {
                            line: m.line,
                            value: other,
                        }],
                    };
                    for s in sources {
                        if let Value::Map(merged) = s.value {
                            for e in merged {
                                if !entries.iter().any(|x| x.key == e.key) {
                                    entries.push(e);
                                }
                            }
                        }
                    }
                }
                (
                    Node {
                        line,
                        value: Value::Map(entries),
                    },
                    anchor,
                )
            }
        };
        // The children were counted as they came: only this node is new.
        self.nodes -= count;
        self.remember(anchor, &node, count + 1, depth + 1);
        self.add(node, count + 1, depth + 1)
    }

    fn event(&mut self, event: Event<'_>, line: usize) -> Result<(), SyntaxError> {
        match event {
            Event::DocumentStart(..) => {
                self.index += 1;
                self.anchors.clear();
                self.root = None;
            }
            Event::DocumentEnd => {
                // An empty document (`---` alone, or comments) has a null root.
                let empty =
                    |n: &Node| matches!(&n.value, Value::Scalar(s) if s.kind == ScalarKind::Null);
                if let Some((root, _, _)) = self.root.take().filter(|(n, _, _)| !empty(n)) {
                    self.docs.push(Document {
                        index: self.index,
                        root,
                    });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let kind = match tag.as_deref().and_then(|t| t.core_suffix()) {
                    Some("str") => ScalarKind::Str,
                    Some("bool") => ScalarKind::Bool(resolve(&text) == ScalarKind::Bool(true)),
                    Some("int") => ScalarKind::Int,
                    Some("float") => ScalarKind::Float,
                    Some("null") => ScalarKind::Null,
                    _ if style == ScalarStyle::Plain => resolve(&text),
                    _ => ScalarKind::Str,
                };
                let node = Node {
                    line,
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        kind,
                    }),
                };
                self.remember(anchor, &node, 1, 0);
                self.add(node, 1, 0)?;
            }
            Event::SequenceStart(_, anchor, _) => self.open(
                Frame::Seq {
                    line,
                    anchor,
                    items: Vec::new(),
                },
                line,
            )?,
            Event::MappingStart(_, anchor, _) => self.open(
                Frame::Map {
                    line,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                },
                line,
            )?,
            Event::SequenceEnd | Event::MappingEnd => self.close()?,
            Event::Alias(id) => {
                let Some(&(_, count, _)) = self.anchors.get(&id) else {
                    return Err(too_much(line, "an alias to an unknown anchor".into()));
                };
                // Refused before the copy is made, not after.
                if self.nodes + count > self.limits.max_nodes {
                    return Err(too_much(
                        line,
                        format!(
                            "more than {} nodes (aliases expanded): too large to check",
                            self.limits.max_nodes
                        ),
                    ));
                }
                let (node, count, depth) = self.anchors[&id].clone();
                // Point at the alias, where the reader sees the value used.
                let node = Node { line, ..node };
                self.add(node, count, depth)?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Every non-empty document of `text`.
pub fn parse(text: &str, limits: Limits) -> Result<Vec<Document>, SyntaxError> {
    let mut opts = granit_parser::Options::default();
    opts.flow_nesting_limit = limits.max_depth;
    opts.block_nesting_limit = limits.max_depth;
    // As libyaml (and so go-yaml and Kubernetes) reads a last block line.
    opts.block_scalar_eof_without_line_feed = true;
    opts.set_emit_comments(false);
    let mut b = Builder::new(limits);
    for ev in Parser::new_from_str_with_options(text, opts) {
        let (event, span) = ev.map_err(|e| SyntaxError {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info(),
        })?;
        b.event(event, span.start.line())?;
    }
    Ok(b.docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> Vec<Document> {
        parse(text, Limits::default()).expect("parses")
    }

    #[test]
    fn keys_remember_their_lines_across_documents() {
        let d = docs(
            "---\n# c\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n    x: \"1\"\n---\nkind: ServiceAccount\n",
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].index, 2);
        let ann = d[0].root.at(&["metadata", "annotations"]).unwrap();
        assert_eq!(ann.entry("x").unwrap().line, 9);
        assert_eq!(d[1].index, 3);
        assert_eq!(d[1].root.entry("kind").unwrap().line, 11);
    }

    #[test]
    fn scalars_are_typed_as_kubernetes_reads_them() {
        let d = docs(
            "a: yes\nb: \"yes\"\nc: 1\nd: 1.5\ne: on\nf: ~\ng: web\nh: !!str true\ni: 0x1F\nj: 1e3\nk: 1.2.3\n",
        );
        let kind = |k: &str| d[0].root.get(k).unwrap().as_scalar().unwrap().kind;
        assert_eq!(kind("a"), ScalarKind::Bool(true));
        assert_eq!(kind("b"), ScalarKind::Str);
        assert_eq!(kind("c"), ScalarKind::Int);
        assert_eq!(kind("d"), ScalarKind::Float);
        assert_eq!(kind("e"), ScalarKind::Bool(true));
        assert_eq!(kind("f"), ScalarKind::Null);
        assert_eq!(kind("g"), ScalarKind::Str);
        assert_eq!(kind("h"), ScalarKind::Str);
        assert_eq!(kind("i"), ScalarKind::Int);
        assert_eq!(kind("j"), ScalarKind::Float);
        assert_eq!(kind("k"), ScalarKind::Str);
    }

    #[test]
    fn json_is_read_with_lines_too() {
        let d = docs(
            "{\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"a\",\n    \"labels\": {\"x\": \"y\"}}\n}\n",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].root
                .at(&["metadata", "labels"])
                .unwrap()
                .entry("x")
                .unwrap()
                .line,
            4
        );
        assert_eq!(d[0].root.to_json()["metadata"]["name"], "a");
    }

    #[test]
    fn block_scalars_keep_their_text() {
        let d = docs("t: |-\n  {{ with secret \"a\" }}\n  {{ end }}\nu: |\n  x\n");
        assert_eq!(
            d[0].root.get("t").unwrap().as_str(),
            Some("{{ with secret \"a\" }}\n{{ end }}")
        );
        assert_eq!(d[0].root.get("u").unwrap().as_str(), Some("x\n"));
    }

    #[test]
    fn anchors_and_merge_keys() {
        let d = docs("base: &b\n  a: \"1\"\n  b: \"2\"\nuse:\n  <<: *b\n  b: \"3\"\nref: *b\n");
        let u = d[0].root.get("use").unwrap();
        assert_eq!(u.get("a").unwrap().as_str(), Some("1"));
        assert_eq!(u.get("b").unwrap().as_str(), Some("3"));
        assert_eq!(d[0].root.get("ref").unwrap().line, 7);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = parse("a: b\nc: [unclosed\n", Limits::default()).unwrap_err();
        assert!(e.line >= 2, "{e}");
        let e = parse("a:\n  b: c\n d: e\n", Limits::default()).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any text is a tree or an error with a line in the text, never a panic.
        #[test]
        fn any_text_parses_or_is_refused_with_a_line(text in "[-:\\[\\]{}&*!|>'\" \n\ta-z0-9#,?]{0,200}") {
            match parse(&text, Limits::default()) {
                Ok(docs) => for d in docs {
                    proptest::prop_assert!(d.root.line >= 1);
                },
                Err(e) => proptest::prop_assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1, "{e}"),
            }
        }
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("l{}", i - 1)
            };
            bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let e = parse(&bomb, Limits::default()).unwrap_err();
        assert!(e.message.contains("nodes"), "{e}");
        let deep = "[".repeat(500) + &"]".repeat(500);
        assert!(parse(&deep, Limits::default()).is_err());
        // Depth grown through a chain of aliases, not through the text.
        let mut chain = String::from("a0: &a0 [x]\n");
        for i in 1..150 {
            chain.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
        }
        let e = parse(&chain, Limits::default()).unwrap_err();
        assert!(e.message.contains("deeper"), "{e}");
    }
}
