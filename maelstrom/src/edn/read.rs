//! The EDN reader: the subset this runner writes, read back into [`Edn`] values.

use super::Edn;

/// Reads one EDN value (the subset this runner writes: nil, booleans, integers, floats, strings,
/// keywords, lists, vectors, sets, maps; `,` is whitespace, `;` starts a comment). Floats read
/// back as `Float`. The store's read side reads `results.edn` and `history.edn` back with it.
///
/// Values nested deeper than [`MAX_DEPTH`] are an error, not a stack overflow: a hostile
/// `results.edn` of 10,000 nested vectors cannot crash `serve`. What the runner writes nests far
/// less (a node's JSON reaches at most 128 levels, serde_json's own limit).
pub fn parse(text: &str) -> Result<Edn, String> {
    let mut reader = Reader {
        text,
        pos: 0,
        depth: 0,
    };
    let value = reader.value()?;
    reader.skip_whitespace();
    if reader.pos < text.len() {
        return Err(format!(
            "unexpected text after the EDN value at byte {}: {:?}",
            reader.pos,
            reader.rest_excerpt()
        ));
    }
    Ok(value)
}

/// The first value that `values` holds a second time, if any: a map's keys or a set's elements,
/// which Clojure's reader refuses to repeat (`Duplicate key: :workload`). Small collections
/// (an op's map) are compared pairwise; larger ones by their printed text.
fn first_repeated<'a>(values: impl ExactSizeIterator<Item = &'a Edn>) -> Option<&'a Edn> {
    let values: Vec<&Edn> = values.collect();
    if values.len() <= 16 {
        return values
            .iter()
            .enumerate()
            .find(|(i, v)| values[..*i].contains(v))
            .map(|(_, v)| *v);
    }
    let mut seen = std::collections::HashSet::with_capacity(values.len());
    values.into_iter().find(|v| !seen.insert(super::compact(v)))
}

/// How deep values may nest.
pub const MAX_DEPTH: usize = 512;

/// A cursor over the text being read.
struct Reader<'a> {
    text: &'a str,
    pos: usize,
    /// How many values the one being read is nested in.
    depth: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn rest_excerpt(&self) -> String {
        self.text[self.pos..].chars().take(30).collect()
    }

    fn error(&self, what: &str) -> String {
        format!(
            "EDN: {what} at byte {} (before {:?})",
            self.pos,
            self.rest_excerpt()
        )
    }

    fn skip_whitespace(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ',' {
                self.pos += c.len_utf8();
            } else if c == ';' {
                while let Some(c) = self.peek() {
                    self.pos += c.len_utf8();
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn value(&mut self) -> Result<Edn, String> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(&format!("values nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let value = self.value_here();
        self.depth -= 1;
        value
    }

    fn value_here(&mut self) -> Result<Edn, String> {
        self.skip_whitespace();
        match self.peek() {
            None => Err(self.error("expected a value, found the end of the text")),
            Some('(') => {
                self.pos += 1;
                Ok(Edn::List(self.items(')')?.into()))
            }
            Some('[') => {
                self.pos += 1;
                Ok(Edn::Vector(self.items(']')?.into()))
            }
            Some('{') => {
                self.pos += 1;
                let items = self.items('}')?;
                if items.len() % 2 != 0 {
                    return Err(self.error("a map with an odd number of forms ends"));
                }
                let mut entries = Vec::with_capacity(items.len() / 2);
                let mut items = items.into_iter();
                while let (Some(k), Some(v)) = (items.next(), items.next()) {
                    entries.push((k, v));
                }
                if let Some(key) = first_repeated(entries.iter().map(|(k, _)| k)) {
                    return Err(self.error(&format!(
                        "a map holds the key {} twice (Clojure's reader refuses duplicate \
                         keys too, rather than keep the last)",
                        super::compact_cut(key, 100)
                    )));
                }
                Ok(Edn::Map(entries.into()))
            }
            Some('#') => self.dispatch(),
            Some('"') => self.string(),
            Some(':') => {
                self.pos += 1;
                let token = self.token();
                if token.is_empty() {
                    return Err(self.error("a keyword without a name"));
                }
                Ok(Edn::Keyword(token.into()))
            }
            Some(')' | ']' | '}') => Err(self.error("unmatched closing delimiter")),
            Some(_) => self.atom(),
        }
    }

    /// Values up to the closing delimiter `close` (consumed).
    fn items(&mut self, close: char) -> Result<Vec<Edn>, String> {
        let mut items = Vec::new();
        loop {
            self.skip_whitespace();
            match self.peek() {
                None => return Err(self.error(&format!("missing closing {close:?}"))),
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.value()?),
            }
        }
    }

    /// `#{...}` sets, `##NaN`/`##Inf`/`##-Inf`, and `#_` (discard the next form).
    fn dispatch(&mut self) -> Result<Edn, String> {
        let rest = &self.text[self.pos..];
        if rest.starts_with("#{") {
            self.pos += 2;
            let items = self.items('}')?;
            if let Some(item) = first_repeated(items.iter()) {
                return Err(self.error(&format!(
                    "a set holds {} twice (Clojure's reader refuses duplicate set elements)",
                    super::compact_cut(item, 100)
                )));
            }
            Ok(Edn::Set(items.into()))
        } else if rest.starts_with("##") {
            self.pos += 2;
            match self.token().to_string().as_str() {
                "NaN" => Ok(Edn::Float(f64::NAN)),
                "Inf" => Ok(Edn::Float(f64::INFINITY)),
                "-Inf" => Ok(Edn::Float(f64::NEG_INFINITY)),
                other => Err(self.error(&format!("unknown symbolic value ##{other}"))),
            }
        } else if rest.starts_with("#_") {
            self.pos += 2;
            self.value()?;
            self.value()
        } else {
            Err(self.error("unsupported # form"))
        }
    }

    /// The characters up to the next delimiter.
    fn token(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '"')
            {
                break;
            }
            self.pos += c.len_utf8();
        }
        &self.text[start..self.pos]
    }

    fn atom(&mut self) -> Result<Edn, String> {
        let start = self.pos;
        let token = self.token().to_string();
        match token.as_str() {
            "nil" => return Ok(Edn::Nil),
            "true" => return Ok(Edn::Bool(true)),
            "false" => return Ok(Edn::Bool(false)),
            _ => {}
        }
        let digits = token.strip_prefix(['-', '+']).unwrap_or(&token);
        if !digits.starts_with(|c: char| c.is_ascii_digit()) {
            self.pos = start;
            return Err(self.error(&format!("unsupported symbol {token:?}")));
        }
        let is_float = token.contains(['.', 'e', 'E']) || token.ends_with('M');
        let number = token.trim_end_matches(['N', 'M']);
        let parsed = if is_float {
            number.parse::<f64>().map(Edn::Float).ok()
        } else {
            // Integers of any size (`18446744073709551616N`): exact, as Clojure reads them.
            Some(Edn::big_int(number)).filter(|n| *n != Edn::Nil)
        };
        parsed.ok_or_else(|| {
            self.pos = start;
            self.error(&format!("malformed number {token:?}"))
        })
    }

    fn string(&mut self) -> Result<Edn, String> {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.error("unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(Edn::Str(text.into())),
                '\\' => {
                    let Some(escaped) = self.peek() else {
                        return Err(self.error("unterminated escape in a string"));
                    };
                    self.pos += escaped.len_utf8();
                    match escaped {
                        'n' => text.push('\n'),
                        't' => text.push('\t'),
                        'r' => text.push('\r'),
                        'f' => text.push('\u{c}'),
                        'b' => text.push('\u{8}'),
                        '"' => text.push('"'),
                        '\\' => text.push('\\'),
                        'u' => {
                            let hex = self.text.get(self.pos..self.pos + 4).unwrap_or("");
                            let code = u32::from_str_radix(hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.error("malformed \\u escape"))?;
                            self.pos += 4;
                            text.push(code);
                        }
                        other => return Err(self.error(&format!("unknown escape \\{other}"))),
                    }
                }
                other => text.push(other),
            }
        }
    }
}
