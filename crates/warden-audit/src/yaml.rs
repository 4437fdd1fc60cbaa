//! YAML documents as trees whose every node knows its line and column, so a
//! finding points at the offending key, not at the file. Built from
//! saphyr-parser's events (pure Rust) rather than a loader that expands aliases
//! into copies: a YAML bomb (aliases of aliases) would otherwise cost exponential
//! memory. Here every node created, including through an alias, counts against a
//! budget, and the parse stops with an error past it.

use std::collections::HashMap;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A position in the text: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    fn of(span: &Span) -> Pos {
        Pos { line: span.start.line(), col: span.start.col() + 1 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar as written; `plain` is true for unquoted scalars (where `true`,
    /// `null` and numbers mean what they say).
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    /// Keys in document order (a key may appear twice in bad YAML; the first wins
    /// for lookups, as most tools do).
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Arc<Value>,
}

/// Nodes one file may create, aliases expanded: far above any real manifest
/// (a 10,000-line file has about 20,000 nodes), far below a billion laughs.
pub const DEFAULT_BUDGET: usize = 1_000_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum YamlError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("more than {0} nodes once aliases are expanded (a YAML bomb?)")]
    Budget(usize),
    #[error("an alias refers to an anchor that is not defined")]
    UnknownAnchor,
}

/// Parses every document in `text`.
pub fn parse(text: &str, budget: usize) -> Result<Vec<Node>, YamlError> {
    Builder { parser: Parser::new_from_str(text), anchors: HashMap::new(), left: budget, budget }.documents()
}

struct Builder<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    left: usize,
    budget: usize,
}

impl<'a> Builder<'a> {
    fn next(&mut self) -> Result<Option<(Event<'a>, Span)>, YamlError> {
        match self.parser.next() {
            None => Ok(None),
            Some(Ok(e)) => Ok(Some(e)),
            Some(Err(e)) => Err(YamlError::Syntax { line: e.marker().line(), message: e.info().to_string() }),
        }
    }

    fn spend(&mut self, nodes: usize) -> Result<(), YamlError> {
        self.left = self.left.checked_sub(nodes).ok_or(YamlError::Budget(self.budget))?;
        Ok(())
    }

    fn documents(mut self) -> Result<Vec<Node>, YamlError> {
        let mut docs = Vec::new();
        while let Some((event, _)) = self.next()? {
            match event {
                Event::DocumentStart(_) => {
                    self.anchors.clear();
                    let Some((first, first_span)) = self.next()? else { break };
                    if matches!(first, Event::DocumentEnd) {
                        continue;
                    }
                    let node = self.node(first, first_span)?;
                    // An empty document (`---` with nothing after it) holds nothing to audit.
                    if !node.is_null() {
                        docs.push(node);
                    }
                }
                Event::StreamEnd => break,
                _ => {}
            }
        }
        Ok(docs)
    }

    /// Builds the node that starts with `event`, with an explicit stack so deep
    /// nesting cannot overflow ours (the parser bounds it too).
    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Node, YamlError> {
        enum Open {
            Seq { pos: Pos, anchor: usize, items: Vec<Node> },
            Map { pos: Pos, anchor: usize, items: Vec<(Node, Node)>, key: Option<Node> },
        }
        let mut stack: Vec<Open> = Vec::new();
        let mut current = Some((event, span));
        loop {
            let (event, span) = match current.take() {
                Some(e) => e,
                None => self.next()?.ok_or(YamlError::Syntax { line: 0, message: "unexpected end".into() })?,
            };
            let done: Node = match event {
                Event::Scalar(text, style, anchor, _) => {
                    self.spend(1)?;
                    let node = Node {
                        pos: Pos::of(&span),
                        value: Arc::new(Value::Scalar { text: text.into_owned(), plain: style == ScalarStyle::Plain }),
                    };
                    if anchor > 0 {
                        self.anchors.insert(anchor, node.clone());
                    }
                    node
                }
                Event::Alias(id) => {
                    let target = self.anchors.get(&id).cloned().ok_or(YamlError::UnknownAnchor)?;
                    self.spend(target.size())?;
                    Node { pos: Pos::of(&span), value: target.value }
                }
                Event::SequenceStart(anchor, _) => {
                    self.spend(1)?;
                    stack.push(Open::Seq { pos: Pos::of(&span), anchor, items: Vec::new() });
                    continue;
                }
                Event::MappingStart(anchor, _) => {
                    self.spend(1)?;
                    stack.push(Open::Map { pos: Pos::of(&span), anchor, items: Vec::new(), key: None });
                    continue;
                }
                Event::SequenceEnd => match stack.pop() {
                    Some(Open::Seq { pos, anchor, items }) => self.finish(pos, anchor, Value::Seq(items)),
                    _ => {
                        return Err(YamlError::Syntax {
                            line: span.start.line(),
                            message: "unbalanced sequence".into(),
                        });
                    }
                },
                Event::MappingEnd => match stack.pop() {
                    Some(Open::Map { pos, anchor, items, .. }) => self.finish(pos, anchor, Value::Map(items)),
                    _ => {
                        return Err(YamlError::Syntax {
                            line: span.start.line(),
                            message: "unbalanced mapping".into(),
                        });
                    }
                },
                other => {
                    return Err(YamlError::Syntax {
                        line: span.start.line(),
                        message: format!("unexpected {other:?} inside a node"),
                    });
                }
            };
            match stack.last_mut() {
                None => return Ok(done),
                Some(Open::Seq { items, .. }) => items.push(done),
                Some(Open::Map { items, key, .. }) => match key.take() {
                    None => *key = Some(done),
                    Some(k) => items.push((k, done)),
                },
            }
        }
    }

    fn finish(&mut self, pos: Pos, anchor: usize, value: Value) -> Node {
        let node = Node { pos, value: Arc::new(value) };
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        node
    }
}

impl Node {
    /// Nodes in this tree, for the alias budget (saturating: a shared subtree
    /// counts every time it appears).
    fn size(&self) -> usize {
        match &*self.value {
            Value::Scalar { .. } => 1,
            Value::Seq(items) => items.iter().fold(1usize, |n, i| n.saturating_add(i.size())),
            Value::Map(items) => {
                items.iter().fold(1usize, |n, (k, v)| n.saturating_add(k.size()).saturating_add(v.size()))
            }
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node (for its position) and the value under `key`.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &*self.value {
            Value::Map(items) => items.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// Follows a path of keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &*self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain `true`/`false` (any case), as Kubernetes reads YAML.
    pub fn as_bool(&self) -> Option<bool> {
        match &*self.value {
            Value::Scalar { text, plain: true } if text.eq_ignore_ascii_case("true") => Some(true),
            Value::Scalar { text, plain: true } if text.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &*self.value {
            Value::Scalar { text, plain: true } => text.parse().ok(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&*self.value, Value::Scalar { text, plain: true } if text.is_empty() || text == "~" || text.eq_ignore_ascii_case("null"))
    }

    pub fn items(&self) -> &[Node] {
        match &*self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &*self.value {
            Value::Map(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(&*self.value, Value::Map(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_know_their_line_and_column() {
        let docs = parse(
            "a: 1\nspec:\n  containers:\n    - name: x\n      securityContext:\n        privileged: true\n",
            DEFAULT_BUDGET,
        )
        .unwrap();
        let c = &docs[0].path(&["spec", "containers"]).unwrap().items()[0];
        let (key, value) = c.get("securityContext").unwrap().entry("privileged").unwrap();
        assert_eq!(key.pos, Pos { line: 6, col: 9 });
        assert_eq!(value.as_bool(), Some(true));
        assert_eq!(c.get("name").unwrap().as_str(), Some("x"));
    }

    #[test]
    fn multiple_documents_and_quoted_scalars() {
        let docs = parse("---\na: \"true\"\n---\nb: true\n...\n---\n", DEFAULT_BUDGET).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].get("a").unwrap().as_bool(), None, "a quoted true is a string");
        assert_eq!(docs[1].get("b").unwrap().as_bool(), Some(true));
    }

    #[test]
    fn aliases_resolve_and_bombs_stop_at_the_budget() {
        let docs = parse("base: &b {x: 1}\nuse: *b\n", DEFAULT_BUDGET).unwrap();
        assert_eq!(docs[0].path(&["use", "x"]).unwrap().as_str(), Some("1"));
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert_eq!(parse(&bomb, DEFAULT_BUDGET), Err(YamlError::Budget(DEFAULT_BUDGET)));
    }

    #[test]
    fn broken_yaml_is_an_error_with_a_line() {
        let err = parse("a: [1, 2\nb: {\n", DEFAULT_BUDGET).unwrap_err();
        assert!(matches!(err, YamlError::Syntax { .. }), "{err}");
        assert!(parse("a: *nothing\n", DEFAULT_BUDGET).is_err());
        let deep = "[".repeat(100_000);
        assert!(parse(&deep, DEFAULT_BUDGET).is_err());
    }
}
