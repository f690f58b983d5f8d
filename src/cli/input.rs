//! The inputs of a command: its argument, or with `-` the lines of standard
//! input, each on its own. A line that is not text (invalid UTF-8) is an
//! error of that line only; the next line is still read.

use std::io::BufRead;

use matdiff::Error;

/// One input: an expression given as an argument, or a line of standard input.
pub struct Line {
    /// The line number on standard input (0 for an argument).
    pub number: usize,
    content: Content,
}

enum Content {
    Text(String),
    /// Not UTF-8: the raw bytes, and where the first bad byte is.
    NotText {
        bytes: Vec<u8>,
        at: usize,
    },
    /// Reading failed; nothing after this is read.
    Unreadable(String),
}

impl Line {
    /// The text of the input, or why it has none.
    pub fn text(&self) -> Result<&str, Error> {
        match &self.content {
            Content::Text(s) => Ok(s),
            Content::NotText { bytes, at } => Err(Error::Usage(format!(
                "line {} of standard input is not valid UTF-8 (byte 0x{:02X} at byte {} of the line); the other lines are read",
                self.number,
                bytes.get(*at).copied().unwrap_or(0),
                at + 1
            ))),
            Content::Unreadable(e) => Err(Error::Usage(format!("cannot read standard input: {e}"))),
        }
    }

    /// The input as text for a report, invalid bytes replaced.
    pub fn lossy(&self) -> String {
        match &self.content {
            Content::Text(s) => s.clone(),
            Content::NotText { bytes, .. } => String::from_utf8_lossy(bytes).into_owned(),
            Content::Unreadable(_) => String::new(),
        }
    }

    /// `e` pointing at this line of standard input (`stdin:3`) in batch mode.
    pub fn locate(&self, e: Error, batch: bool) -> Error {
        if batch {
            e.in_source(&format!("stdin line {}", self.number))
        } else {
            e
        }
    }
}

/// The expressions to work on: `expr` itself, or with `-` the lines of
/// standard input without blank lines and `#` comments.
pub fn inputs(expr: &str) -> Box<dyn Iterator<Item = Line>> {
    if expr != "-" {
        return Box::new(std::iter::once(Line {
            number: 0,
            content: Content::Text(expr.to_string()),
        }));
    }
    Box::new(lines(std::io::stdin().lock()))
}

/// The non-blank, non-comment lines of `reader`, numbered from 1. A lone
/// carriage return ends a line too (old Mac line endings): reading
/// `tr(X)\rtr(W)` as one product would answer a question nobody asked.
pub fn lines(reader: impl BufRead + 'static) -> impl Iterator<Item = Line> {
    let mut number = 0;
    let mut failed = false;
    reader
        .split(b'\n')
        .flat_map(move |chunk| -> Vec<Line> {
            if failed {
                return vec![];
            }
            let mut chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    failed = true;
                    number += 1;
                    return vec![Line {
                        number,
                        content: Content::Unreadable(e.to_string()),
                    }];
                }
            };
            if chunk.last() == Some(&b'\r') {
                chunk.pop();
            }
            chunk
                .split(|b| *b == b'\r')
                .map(|part| {
                    number += 1;
                    let content = match std::str::from_utf8(part) {
                        // A byte-order mark opens files from some editors.
                        Ok(s) if number == 1 => {
                            Content::Text(s.trim_start_matches('\u{feff}').to_string())
                        }
                        Ok(s) => Content::Text(s.to_string()),
                        Err(e) => Content::NotText {
                            bytes: part.to_vec(),
                            at: e.valid_up_to(),
                        },
                    };
                    Line { number, content }
                })
                .collect()
        })
        .filter(|l| match &l.content {
            Content::Text(s) => !s.trim().is_empty() && !s.trim_start().starts_with('#'),
            _ => true,
        })
}
