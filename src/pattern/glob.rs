//! Path globs: parsing (`{a,b}` expanded up front, then one token list per segment) and
//! matching, which runs the segments as a small automaton so no pattern can make it slow.

/// At most this many patterns after `{a,b}` expansion, so a pattern cannot cost unbounded time.
const MAX_ALTERNATIVES: usize = 256;

/// Whether `path` (`/`-separated) matches `pattern`: `*` is any run within one segment, `**` a
/// whole segment standing for any number of segments (`a/**` matches `a` too), `?` one
/// character, `[a-z]`/`[!a]` a class, `{a,b}` alternatives, and `\` makes the next character
/// literal. An invalid pattern matches nothing.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    Glob::new(pattern).is_ok_and(|g| g.matches(path))
}

/// Whether `pattern` is valid glob syntax, with the reason if not.
pub fn check_glob(pattern: &str) -> Result<(), String> {
    Glob::new(pattern).map(drop)
}

/// The leading folders of `pattern` that hold no wildcard, unescaped, and the glob after them:
/// `$HOME/a\[1\]/*.md` → (`$HOME/a[1]`, `*.md`). A caller can resolve the first part as a
/// real path, so folder names with glob characters in them (a home folder with `[`) are
/// never read as a glob.
pub fn literal_prefix(pattern: &str) -> (String, &str) {
    let mut literal = Vec::new();
    let mut rest = "";
    let mut start = 0;
    for segment in pattern.split('/') {
        if has_wildcard(segment) {
            rest = &pattern[start..];
            break;
        }
        literal.push(unescape(segment));
        start += segment.len() + 1;
    }
    let base = literal.join("/");
    if base.is_empty() && pattern.starts_with('/') {
        return ("/".into(), rest);
    }
    (base, rest)
}

fn has_wildcard(segment: &str) -> bool {
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => _ = chars.next(),
            '*' | '?' | '[' | '{' | '}' => return true,
            _ => {}
        }
    }
    false
}

fn unescape(segment: &str) -> String {
    let mut out = String::new();
    let mut chars = segment.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    out
}

/// A compiled glob: one list of segments per `{…}` alternative.
#[derive(Debug, Clone)]
pub struct Glob {
    alternatives: Vec<Vec<Segment>>,
}

#[derive(Debug, Clone)]
enum Segment {
    /// `**`
    AnyDepth,
    Name(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Char(char),
    One,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let expanded = sequence(&chars, &mut pos, false)?;
        let alternatives = expanded
            .iter()
            .map(|alt| match alt.as_str() {
                "" => Ok(Vec::new()),
                alt => alt.split('/').map(segment).collect(),
            })
            .collect::<Result<_, String>>()?;
        Ok(Glob { alternatives })
    }

    pub fn matches(&self, path: &str) -> bool {
        self.alternatives
            .iter()
            .any(|segs| run(segs, path).last().copied().unwrap_or(false))
    }

    /// Whether `path` itself or something below it could match: the folders on the way into
    /// the glob (`notes` for `notes/*.md`).
    pub fn matches_below(&self, path: &str) -> bool {
        self.alternatives
            .iter()
            .any(|segs| run(segs, path).contains(&true))
    }
}

/// Runs the segments as an automaton over the path's segments: the result says, for each
/// position in `segs`, whether some way of matching reaches it. Linear in both lengths.
fn run(segs: &[Segment], path: &str) -> Vec<bool> {
    let mut live = vec![false; segs.len() + 1];
    live[0] = true;
    close(segs, &mut live);
    let names = path.split('/').filter(|_| !path.is_empty());
    for name in names {
        let mut next = vec![false; segs.len() + 1];
        for (i, seg) in segs.iter().enumerate().filter(|(i, _)| live[*i]) {
            match seg {
                Segment::AnyDepth => next[i] = true,
                Segment::Name(tokens) if name_matches(tokens, name) => next[i + 1] = true,
                Segment::Name(_) => {}
            }
        }
        close(segs, &mut next);
        live = next;
    }
    live
}

/// `**` may stand for no segment at all.
fn close(segs: &[Segment], live: &mut [bool]) {
    for (i, seg) in segs.iter().enumerate() {
        if live[i] && matches!(seg, Segment::AnyDepth) {
            live[i + 1] = true;
        }
    }
}

/// Wildcard matching within one segment, backtracking only to the last `*`.
fn name_matches(tokens: &[Token], name: &str) -> bool {
    let text: Vec<char> = name.chars().collect();
    let (mut t, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < text.len() {
        match tokens.get(t) {
            Some(Token::Star) => {
                star = Some((t, i));
                t += 1;
            }
            Some(tok) if one_matches(tok, text[i]) => {
                t += 1;
                i += 1;
            }
            _ => match star {
                Some((st, si)) => {
                    star = Some((st, si + 1));
                    t = st + 1;
                    i = si + 1;
                }
                None => return false,
            },
        }
    }
    tokens[t..].iter().all(|tok| *tok == Token::Star)
}

fn one_matches(tok: &Token, c: char) -> bool {
    match tok {
        Token::Char(x) => *x == c,
        Token::One => true,
        Token::Star => false,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
        }
    }
}

fn segment(text: &str) -> Result<Segment, String> {
    if text == "**" {
        return Ok(Segment::AnyDepth);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let tok = match chars[i] {
            '\\' => {
                i += 1;
                Token::Char(*chars.get(i).ok_or("dangling '\\'")?)
            }
            '*' if chars.get(i + 1) == Some(&'*') => {
                return Err("`**` must be a whole path segment, as in `a/**/b`".into());
            }
            '*' => Token::Star,
            '?' => Token::One,
            '[' => {
                let (class, end) = class(&chars, i + 1)?;
                i = end;
                class
            }
            c => Token::Char(c),
        };
        tokens.push(tok);
        i += 1;
    }
    Ok(Segment::Name(tokens))
}

/// A class starting at `chars[i]` (just after `[`), and the index of its `]`.
fn class(chars: &[char], mut i: usize) -> Result<(Token, usize), String> {
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let unclosed = || "unclosed character class; missing ']'".to_string();
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let mut c = *chars.get(i).ok_or_else(unclosed)?;
        if c == ']' && !first {
            return Ok((Token::Class { negated, ranges }, i));
        }
        first = false;
        if c == '\\' {
            i += 1;
            c = *chars.get(i).ok_or_else(unclosed)?;
        }
        let mut hi = c;
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|&d| d != ']') {
            i += 2;
            if chars[i] == '\\' {
                i += 1;
            }
            hi = *chars.get(i).ok_or_else(unclosed)?;
            if hi < c {
                return Err(format!("invalid range `{c}-{hi}` in a character class"));
            }
        }
        ranges.push((c, hi));
        i += 1;
    }
}

/// Expands `{a,b}` groups (nested ones too) into plain patterns, leaving escapes and classes
/// for [`segment`]. `inside` stops the sequence at the `,` or `}` of its group.
fn sequence(chars: &[char], pos: &mut usize, inside: bool) -> Result<Vec<String>, String> {
    let mut out = vec![String::new()];
    let push = |out: &mut Vec<String>, s: &[char]| out.iter_mut().for_each(|o| o.extend(s));
    while let Some(&c) = chars.get(*pos) {
        match c {
            '\\' => {
                let end = (*pos + 2).min(chars.len());
                push(&mut out, &chars[*pos..end]);
                *pos = end;
            }
            '[' => {
                let end = class(chars, *pos + 1).map_or(chars.len() - 1, |(_, end)| end);
                push(&mut out, &chars[*pos..=end]);
                *pos = end + 1;
            }
            '{' => {
                *pos += 1;
                let group = group(chars, pos)?;
                out = out
                    .iter()
                    .flat_map(|o| group.iter().map(move |g| format!("{o}{g}")))
                    .collect();
                if out.len() > MAX_ALTERNATIVES {
                    return Err(format!("more than {MAX_ALTERNATIVES} alternatives"));
                }
            }
            ',' | '}' if inside => break,
            '}' => return Err("unopened alternate group; missing '{'".into()),
            c => {
                push(&mut out, &[c]);
                *pos += 1;
            }
        }
    }
    Ok(out)
}

fn group(chars: &[char], pos: &mut usize) -> Result<Vec<String>, String> {
    let mut all = Vec::new();
    loop {
        all.extend(sequence(chars, pos, true)?);
        if all.len() > MAX_ALTERNATIVES {
            return Err(format!("more than {MAX_ALTERNATIVES} alternatives"));
        }
        match chars.get(*pos) {
            Some(',') => *pos += 1,
            Some(_) => {
                *pos += 1;
                return Ok(all);
            }
            None => return Err("unclosed alternate group; missing '}'".into()),
        }
    }
}
