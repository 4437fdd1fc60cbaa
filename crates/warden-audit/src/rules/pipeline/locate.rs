//! Positions inside YAML scalars. A `run:` block is one node, but a finding about
//! its fourth line should point at that line, so an inline `# warden:ignore` or
//! a reviewer lands on the command itself. Literal blocks (`|`) keep their lines,
//! so a line of the script is found in the file's text after the node's start;
//! when it cannot be (escapes in a quoted scalar), the node's own position is used.

use crate::yaml::{Node, Pos};

/// Lines searched past the scalar's own line count (indicator line, blank lines).
const SLACK: usize = 3;

/// The position of the text at byte `offset` of scalar `node`'s value.
pub fn at_offset(file_text: &str, node: &Node, offset: usize) -> Pos {
    let Some(value) = node.as_str() else { return node.pos };
    let Some(rest) = value.get(offset..) else { return node.pos };
    let needle = rest.lines().next().unwrap_or("").trim_end();
    let needle = needle.char_indices().nth(60).map_or(needle, |(i, _)| &needle[..i]);
    if needle.trim().is_empty() {
        return node.pos;
    }
    let nth = value[..offset].matches(needle).count();
    find(file_text, node, value, needle, nth).unwrap_or(node.pos)
}

/// The position of the `nth` (from 0) occurrence of `needle` in scalar `node`.
pub fn occurrence(file_text: &str, node: &Node, needle: &str, nth: usize) -> Pos {
    let value = node.as_str().unwrap_or("");
    find(file_text, node, value, needle, nth).unwrap_or(node.pos)
}

fn find(file_text: &str, node: &Node, value: &str, needle: &str, nth: usize) -> Option<Pos> {
    let first = node.pos.line.checked_sub(1)?;
    let span = value.lines().count() + SLACK;
    let mut seen = 0;
    for (i, line) in file_text.lines().enumerate().skip(first).take(span) {
        let from = if i == first { byte_of_char(line, node.pos.col.saturating_sub(1)) } else { 0 };
        for (at, _) in line[from..].match_indices(needle) {
            if seen == nth {
                let col = line[..from + at].chars().count() + 1;
                return Some(Pos { line: i + 1, col });
            }
            seen += 1;
        }
    }
    None
}

fn byte_of_char(line: &str, chars: usize) -> usize {
    line.char_indices().nth(chars).map_or(line.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{DEFAULT_BUDGET, parse};

    #[test]
    fn lines_of_literal_blocks_and_fallbacks() {
        let text = "steps:\n  - run: |\n      echo one\n      echo \"${{ github.head_ref }}\"\n      echo one\n  - run: \"a\\tb\"\n";
        let doc = &parse(text, DEFAULT_BUDGET).unwrap()[0];
        let run = doc.get("steps").unwrap().items()[0].get("run").unwrap();
        let value = run.as_str().unwrap();
        assert_eq!(at_offset(text, run, value.find("echo \"").unwrap()), Pos { line: 4, col: 7 });
        assert_eq!(at_offset(text, run, value.rfind("echo one").unwrap()), Pos { line: 5, col: 7 });
        assert_eq!(occurrence(text, run, "${{", 0), Pos { line: 4, col: 13 });
        let quoted = doc.get("steps").unwrap().items()[1].get("run").unwrap();
        assert_eq!(at_offset(text, quoted, 0), quoted.pos, "an escape: the node itself");
        assert_eq!(at_offset(text, quoted, 99), quoted.pos);
    }
}
