//! CSV and TSV, read into maps (keyed by the header, in its column order) or arrays of strings,
//! and written back. The `csv` crate does the parsing (quotes, doubled quotes, newlines inside
//! quotes, CRLF); this module adds the options a script passes as a map, the header's rules,
//! the call's limits and errors that name the record and its line.
//!
//! Rows read with a header are built from one template map holding the header's keys: each
//! row clones it (keys included, with no lookups) and fills its values in the template's
//! sorted order, and every row carries the header's one shape tag ([`super::super::order`]),
//! so `to_json` and `csv_write` give the columns back in the file's order.

use ::csv::{ReaderBuilder, StringRecord, Terminator, Trim, WriterBuilder};
use rhai::{Array, Dynamic, Engine, ImmutableString, Map};

use super::{CHECK_EVERY, Res, Size, check_len, checkpoint, error, reserve};
use crate::script::order;
use crate::script::sandbox;

/// Where a header comes from.
#[derive(Debug, Clone, PartialEq)]
enum Header {
    /// The first record names the columns (the default): rows are maps.
    FirstRow,
    /// No header: rows are arrays of strings.
    None,
    /// These names, and the first record is data: rows are maps.
    Names(Vec<String>),
}

#[derive(Debug, Clone)]
struct ReadOptions {
    delimiter: u8,
    header: Header,
    /// `None`: quotes are ordinary characters.
    quote: Option<u8>,
    trim: bool,
    flexible: bool,
    comment: Option<u8>,
}

impl ReadOptions {
    fn new(delimiter: u8) -> ReadOptions {
        ReadOptions {
            delimiter,
            header: Header::FirstRow,
            quote: Some(b'"'),
            trim: false,
            flexible: false,
            comment: None,
        }
    }
}

#[derive(Debug, Clone)]
struct WriteOptions {
    delimiter: u8,
    /// `FirstRow`: a map row's keys (of the first row) as the header line; `None`: no header
    /// line; `Names`: these columns, in this order.
    header: Header,
    crlf: bool,
}

/// A one-character option (`delimiter`, `quote`, `comment`) as the byte the parser splits on:
/// an ASCII character, since a field is cut at that byte.
fn one_byte(f: &str, key: &str, v: &Dynamic) -> Res<u8> {
    let text = if let Ok(c) = v.as_char() {
        c.to_string()
    } else if let Some(s) = v.read_lock::<ImmutableString>() {
        s.to_string()
    } else {
        return Err(error(format!(
            "{f}: option `{key}` is one character, not {}",
            v.type_name()
        )));
    };
    match text.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ => Err(error(format!(
            "{f}: option `{key}` is one ASCII character, not {text:?}"
        ))),
    }
}

fn flag(f: &str, key: &str, v: &Dynamic) -> Res<bool> {
    v.as_bool()
        .map_err(|t| error(format!("{f}: option `{key}` is true or false, not {t}")))
}

fn names(f: &str, v: &Dynamic) -> Res<Vec<String>> {
    let Some(a) = v.read_lock::<Array>() else {
        return Err(error(format!(
            "{f}: option `header` is true, false or an array of column names, not {}",
            v.type_name()
        )));
    };
    a.iter()
        .enumerate()
        .map(|(i, n)| {
            n.read_lock::<ImmutableString>()
                .map(|s| s.to_string())
                .ok_or_else(|| {
                    error(format!(
                        "{f}: header name {} is {}, not a string",
                        i + 1,
                        n.type_name()
                    ))
                })
        })
        .collect()
}

fn header_option(f: &str, v: &Dynamic) -> Res<Header> {
    match v.as_bool() {
        Ok(true) => Ok(Header::FirstRow),
        Ok(false) => Ok(Header::None),
        Err(_) => names(f, v).map(Header::Names),
    }
}

fn unknown(f: &str, key: &str, known: &str) -> Box<rhai::EvalAltResult> {
    error(format!(
        "{f}: unknown option `{key}` (the options are {known})"
    ))
}

fn read_options(f: &str, delimiter: u8, options: &Map) -> Res<ReadOptions> {
    let mut o = ReadOptions::new(delimiter);
    for (key, v) in options {
        match key.as_str() {
            "delimiter" => o.delimiter = one_byte(f, key, v)?,
            "header" => o.header = header_option(f, v)?,
            "quote" => {
                let empty = v
                    .read_lock::<ImmutableString>()
                    .is_some_and(|s| s.is_empty());
                o.quote = if empty {
                    None
                } else {
                    Some(one_byte(f, key, v)?)
                };
            }
            "trim" => o.trim = flag(f, key, v)?,
            "flexible" => o.flexible = flag(f, key, v)?,
            "comment" => o.comment = Some(one_byte(f, key, v)?),
            _ => {
                return Err(unknown(
                    f,
                    key,
                    "delimiter, header, quote, trim, flexible, comment",
                ));
            }
        }
    }
    Ok(o)
}

fn write_options(f: &str, delimiter: u8, options: &Map) -> Res<WriteOptions> {
    let mut o = WriteOptions {
        delimiter,
        header: Header::FirstRow,
        crlf: false,
    };
    for (key, v) in options {
        match key.as_str() {
            "delimiter" => o.delimiter = one_byte(f, key, v)?,
            "header" => o.header = header_option(f, v)?,
            "line_end" => {
                o.crlf = match v
                    .read_lock::<ImmutableString>()
                    .as_deref()
                    .map(|s| s.as_str())
                {
                    Some("\n") => false,
                    Some("\r\n") => true,
                    _ => {
                        return Err(error(format!(
                            "{f}: option `line_end` is \"\\n\" or \"\\r\\n\""
                        )));
                    }
                }
            }
            _ => return Err(unknown(f, key, "delimiter, header, line_end")),
        }
    }
    Ok(o)
}

/// The per-value limits, read once for a whole parse (checking each field through the
/// thread-local budget would cost more than parsing it).
struct Bounds {
    string: u64,
    array: u64,
}

impl Bounds {
    fn now() -> Bounds {
        let l = sandbox::limits();
        Bounds {
            string: l.map_or(u64::MAX, |l| l.max_string_size),
            array: l.map_or(u64::MAX, |l| l.max_array_size),
        }
    }

    fn field(&self, s: &str) -> Res<Dynamic> {
        if s.len() as u64 > self.string {
            check_len(Size::String, s.len())?;
        }
        Ok(Dynamic::from(ImmutableString::from(s)))
    }

    fn items(&self, n: usize) -> Res<()> {
        if n as u64 > self.array {
            check_len(Size::Array, n)?;
        }
        Ok(())
    }
}

/// `record N (line L)` for messages: records count from 1 after the header.
fn place(record: &StringRecord, header_row: bool) -> String {
    match record.position() {
        Some(p) => {
            let n = p.record() + u64::from(!header_row);
            format!("record {n} (line {})", p.line())
        }
        None => "a record".into(),
    }
}

/// Parses `text` into rows (see the module's documentation).
fn parse(f: &str, text: &str, o: &ReadOptions) -> Res<Array> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The parsed strings take at least as much as the text.
    reserve(text.len())?;
    let mut builder = ReaderBuilder::new();
    builder
        .delimiter(o.delimiter)
        .has_headers(false)
        .flexible(true)
        .comment(o.comment)
        .trim(if o.trim { Trim::All } else { Trim::None });
    match o.quote {
        Some(q) => builder.quote(q),
        None => builder.quoting(false),
    };
    let mut reader = builder.from_reader(text.as_bytes());
    let bounds = Bounds::now();
    let mut record = StringRecord::new();
    let read = |reader: &mut ::csv::Reader<&[u8]>, record: &mut StringRecord| {
        reader
            .read_record(record)
            .map_err(|e| error(format!("{f}: {e}")))
    };

    let header = match &o.header {
        Header::None => None,
        Header::Names(names) => Some(names.clone()),
        Header::FirstRow => {
            if !read(&mut reader, &mut record)? {
                return Ok(Array::new());
            }
            Some(record.iter().map(str::to_owned).collect())
        }
    };
    let header_row = o.header == Header::FirstRow;
    let mut rows = Array::new();
    let Some(header) = header else {
        while read(&mut reader, &mut record)? {
            bounds.items(record.len())?;
            let row: Array = record.iter().map(|s| bounds.field(s)).collect::<Res<_>>()?;
            rows.push(row.into());
            bounds.items(rows.len())?;
            if rows.len().is_multiple_of(CHECK_EVERY) {
                checkpoint()?;
            }
        }
        return Ok(rows);
    };

    check_len(Size::Map, header.len())?;
    let mut seen = std::collections::HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if name.is_empty() {
            return Err(error(format!(
                "{f}: column {} of the header has no name (name every column, or pass header: false)",
                i + 1
            )));
        }
        if let Some(first) = seen.insert(name.as_str(), i) {
            return Err(error(format!(
                "{f}: the header names `{name}` twice (columns {} and {})",
                first + 1,
                i + 1
            )));
        }
    }
    let tag = order::shape(header.iter().map(String::as_str));
    let template: Map = header
        .iter()
        .map(|k| (k.as_str().into(), Dynamic::UNIT))
        .collect();
    // For each of the template's values (in its sorted key order), the column it comes from.
    let columns: Vec<usize> = template
        .keys()
        .filter_map(|k| seen.get(k.as_str()).copied())
        .collect();
    while read(&mut reader, &mut record)? {
        if record.len() != header.len() && !o.flexible {
            return Err(error(format!(
                "{f}: {}: found {} fields, the header has {} (pass flexible: true to allow ragged rows)",
                place(&record, header_row),
                record.len(),
                header.len()
            )));
        }
        let mut row = template.clone();
        for (slot, &column) in row.values_mut().zip(&columns) {
            if let Some(s) = record.get(column) {
                *slot = bounds.field(s)?;
            }
        }
        rows.push(order::with_shape(row, tag));
        bounds.items(rows.len())?;
        if rows.len().is_multiple_of(CHECK_EVERY) {
            checkpoint()?;
        }
    }
    Ok(rows)
}

/// Writes one field: strings as they are, numbers, booleans and characters as text, `()`
/// empty; `column` names the column for the error a nested value gets.
fn write_field(
    f: &str,
    w: &mut ::csv::Writer<Vec<u8>>,
    v: &Dynamic,
    row: usize,
    column: &dyn Fn() -> String,
) -> Res<()> {
    let written = if v.is_unit() {
        w.write_field("")
    } else if let Some(s) = v.read_lock::<ImmutableString>() {
        w.write_field(s.as_bytes())
    } else if v.is_int() || v.is_float() || v.is_bool() || v.is_char() {
        w.write_field(v.to_string())
    } else {
        return Err(error(format!(
            "{f}: row {row}, column {}: {} cannot be a CSV field (only text, numbers, booleans and ())",
            column(),
            v.type_name()
        )));
    };
    written.map_err(|e| error(format!("{f}: {e}")))
}

/// Writes `rows` (maps or arrays) as CSV with `o`'s delimiter.
fn write(f: &str, rows: &Array, o: &WriteOptions) -> Res<String> {
    let max = sandbox::limits().map_or(u64::MAX, |l| l.max_string_size);
    let first_keys: Option<Vec<String>> = rows.first().and_then(|r| {
        let tag = r.tag();
        r.read_lock::<Map>().map(|m| {
            order::keys(tag, &m)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
    });
    let (columns, header_line) = match &o.header {
        Header::Names(n) => (Some(n.clone()), true),
        Header::FirstRow => (first_keys.clone(), first_keys.is_some()),
        Header::None => (first_keys, false),
    };
    let mut builder = WriterBuilder::new();
    builder.delimiter(o.delimiter).flexible(true);
    if o.crlf {
        builder.terminator(Terminator::CRLF);
    }
    let mut w = builder.from_writer(Vec::new());
    let io = |e: ::csv::Error| error(format!("{f}: {e}"));
    if header_line && let Some(columns) = &columns {
        w.write_record(columns).map_err(io)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        if let Some(m) = row.read_lock::<Map>() {
            let Some(columns) = &columns else {
                return Err(error(format!(
                    "{f}: row {n} is a map but the first row is not (give options.header to name the columns)"
                )));
            };
            let mut found = 0;
            for c in columns {
                let v = m.get(c.as_str());
                found += usize::from(v.is_some());
                let v = v.unwrap_or(&Dynamic::UNIT);
                write_field(f, &mut w, v, n, &|| format!("`{c}`"))?;
            }
            if found < m.len()
                && let Some(extra) = m.keys().find(|k| !columns.iter().any(|c| c == k.as_str()))
            {
                return Err(error(format!(
                    "{f}: row {n} has the key `{extra}`, which is not a column (the columns are the first row's keys unless options.header names them)"
                )));
            }
        } else if let Some(a) = row.read_lock::<Array>() {
            for (j, v) in a.iter().enumerate() {
                write_field(f, &mut w, v, n, &|| (j + 1).to_string())?;
            }
        } else {
            return Err(error(format!(
                "{f}: row {n} is {}; rows are maps or arrays",
                row.type_name()
            )));
        }
        w.write_record(None::<&[u8]>).map_err(io)?;
        if w.get_ref().len() as u64 > max {
            check_len(Size::String, w.get_ref().len())?;
        }
        if n.is_multiple_of(CHECK_EVERY) {
            checkpoint()?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| error(format!("{f}: {}", e.error())))?;
    check_len(Size::String, bytes.len())?;
    String::from_utf8(bytes).map_err(|e| error(format!("{f}: {e}")))
}

/// Registers `csv_parse`, `tsv_parse`, `csv_write` and `tsv_write`.
pub fn register(engine: &mut Engine) {
    for (name, delimiter) in [("csv_parse", b','), ("tsv_parse", b'\t')] {
        engine.register_fn(name, move |text: &str| {
            parse(name, text, &ReadOptions::new(delimiter))
        });
        engine.register_fn(name, move |text: &str, options: Map| {
            parse(name, text, &read_options(name, delimiter, &options)?)
        });
    }
    for (name, delimiter) in [("csv_write", b','), ("tsv_write", b'\t')] {
        engine.register_fn(name, move |rows: &mut Array| {
            write(name, rows, &write_options(name, delimiter, &Map::new())?)
        });
        engine.register_fn(name, move |rows: &mut Array, options: Map| {
            write(name, rows, &write_options(name, delimiter, &options)?)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::lib::message;
    use std::time::Duration;

    fn csv(text: &str) -> Res<Array> {
        parse("csv_parse", text, &ReadOptions::new(b','))
    }

    fn json(rows: &Array) -> String {
        crate::script::convert::to_json(&Dynamic::from_array(rows.clone()))
            .unwrap()
            .to_string()
    }

    #[test]
    fn rows_keep_the_header_order() {
        order::scope(|| {
            let rows = csv("name,age,city\nAda,36,London\nAlan,41,\n").unwrap();
            assert_eq!(
                json(&rows),
                r#"[{"name":"Ada","age":"36","city":"London"},{"name":"Alan","age":"41","city":""}]"#
            );
            let shape = rows[0].tag();
            assert!(rows.iter().all(|r| r.tag() == shape));
        });
    }

    #[test]
    fn quotes_newlines_bom_and_crlf() {
        order::scope(|| {
            let text = "\u{feff}b,a\r\n\"x, \"\"y\"\"\",\"line1\nline2\"\r\n";
            let rows = csv(text).unwrap();
            assert_eq!(json(&rows), r#"[{"b":"x, \"y\"","a":"line1\nline2"}]"#);
        });
    }

    #[test]
    fn empty_input_and_header_only_have_no_rows() {
        assert!(csv("").unwrap().is_empty());
        assert!(csv("a,b\n").unwrap().is_empty());
    }

    #[test]
    fn ragged_rows_name_the_record_and_line() {
        let e = message(csv("a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4,5\n").unwrap_err());
        assert_eq!(
            e,
            "csv_parse: record 3 (line 4): found 5 fields, the header has 4 (pass flexible: true to allow ragged rows)"
        );
        order::scope(|| {
            let mut o = ReadOptions::new(b',');
            o.flexible = true;
            let rows = parse("csv_parse", "a,b,c\n1\n1,2,3,4\n", &o).unwrap();
            assert_eq!(
                json(&rows),
                r#"[{"a":"1","b":null,"c":null},{"a":"1","b":"2","c":"3"}]"#
            );
        });
    }

    #[test]
    fn header_names_must_be_unique_and_present() {
        let e = message(csv("a,b,a\n1,2,3\n").unwrap_err());
        assert!(e.contains("names `a` twice (columns 1 and 3)"), "{e}");
        let e = message(csv("a,,c\n").unwrap_err());
        assert!(e.contains("column 2 of the header has no name"), "{e}");
    }

    #[test]
    fn options_tsv_arrays_trim_comments_and_names() {
        let mut o = ReadOptions::new(b'\t');
        o.header = Header::None;
        let rows = parse("tsv_parse", "a\tb\n1\t2\n", &o).unwrap();
        assert_eq!(json(&rows), r#"[["a","b"],["1","2"]]"#);

        let options: Map = [
            ("trim".into(), Dynamic::TRUE),
            ("comment".into(), Dynamic::from("#")),
            ("delimiter".into(), Dynamic::from(";")),
            (
                "header".into(),
                Dynamic::from_array(vec!["y".into(), "x".into()]),
            ),
        ]
        .into_iter()
        .collect();
        let o = read_options("csv_parse", b',', &options).unwrap();
        order::scope(|| {
            let rows = parse("csv_parse", "# note\n 1 ; 2 \n", &o).unwrap();
            assert_eq!(json(&rows), r#"[{"y":"1","x":"2"}]"#);
        });

        let bad: Map = [("delim".into(), Dynamic::from(";"))].into_iter().collect();
        let e = message(read_options("csv_parse", b',', &bad).unwrap_err());
        assert!(e.contains("unknown option `delim`"), "{e}");
        let bad: Map = [("delimiter".into(), Dynamic::from(";;"))]
            .into_iter()
            .collect();
        let e = message(read_options("csv_parse", b',', &bad).unwrap_err());
        assert!(e.contains("one ASCII character"), "{e}");
    }

    #[test]
    fn unquoted_mode_keeps_quotes() {
        let mut o = ReadOptions::new(b',');
        o.quote = None;
        o.header = Header::None;
        let rows = parse("csv_parse", "\"a,b\"\n", &o).unwrap();
        assert_eq!(json(&rows), r#"[["\"a","b\""]]"#);
    }

    #[test]
    fn write_round_trips_a_normalized_file() {
        let text = "name,age,note\nAda,36,\"says \"\"hi\"\", twice\"\nAlan,41,\"two\nlines\"\n";
        order::scope(|| {
            let rows = csv(text).unwrap();
            let o = write_options("csv_write", b',', &Map::new()).unwrap();
            assert_eq!(write("csv_write", &rows, &o).unwrap(), text);
        });
    }

    #[test]
    fn write_takes_arrays_scalars_and_a_given_header() {
        let rows: Array = vec![
            Dynamic::from_array(vec![1.into(), 2.5.into(), true.into(), Dynamic::UNIT]),
            Dynamic::from_array(vec!["a\tb".into()]),
        ];
        let o = write_options("tsv_write", b'\t', &Map::new()).unwrap();
        assert_eq!(
            write("tsv_write", &rows, &o).unwrap(),
            "1\t2.5\ttrue\t\n\"a\tb\"\n"
        );
        let m: Map = [("b".into(), 1.into()), ("a".into(), 2.into())]
            .into_iter()
            .collect();
        let rows: Array = vec![Dynamic::from_map(m)];
        let options: Map = [
            (
                "header".into(),
                Dynamic::from_array(vec!["b".into(), "a".into()]),
            ),
            ("line_end".into(), Dynamic::from("\r\n")),
        ]
        .into_iter()
        .collect();
        let o = write_options("csv_write", b',', &options).unwrap();
        assert_eq!(write("csv_write", &rows, &o).unwrap(), "b,a\r\n1,2\r\n");
        let o = write_options("csv_write", b',', &Map::new()).unwrap();
        assert_eq!(
            write("csv_write", &rows, &o).unwrap(),
            "a,b\n2,1\n",
            "sorted"
        );
    }

    #[test]
    fn write_refuses_nested_values_and_unknown_keys() {
        let m: Map = [("a".into(), Dynamic::from_array(vec![]))]
            .into_iter()
            .collect();
        let o = write_options("csv_write", b',', &Map::new()).unwrap();
        let e = message(write("csv_write", &vec![Dynamic::from_map(m)], &o).unwrap_err());
        assert!(
            e.contains("row 1, column `a`: array cannot be a CSV field"),
            "{e}"
        );
        let first: Map = [("a".into(), 1.into())].into_iter().collect();
        let second: Map = [("a".into(), 1.into()), ("z".into(), 2.into())]
            .into_iter()
            .collect();
        let rows = vec![Dynamic::from_map(first), Dynamic::from_map(second)];
        let e = message(write("csv_write", &rows, &o).unwrap_err());
        assert!(e.contains("row 2 has the key `z`"), "{e}");
    }

    #[test]
    fn fields_and_rows_are_bounded_by_the_call() {
        let limits = crate::manifest::Limits {
            max_string_size: 100,
            max_array_size: 10,
            ..Default::default()
        };
        sandbox::Budget::new(&limits).run(|| {
            let big = format!("a\n\"{}\"\n", "x".repeat(200));
            let e = csv(&big).unwrap_err();
            assert!(e.to_string().contains("max-string-size"), "{e}");
            let many = format!("a\n{}", "1\n".repeat(20));
            let e = csv(&many).unwrap_err();
            assert!(e.to_string().contains("max-array-size"), "{e}");
            let wide = ",".repeat(50);
            let mut o = ReadOptions::new(b',');
            o.header = Header::None;
            let e = parse("csv_parse", &wide, &o).unwrap_err();
            assert!(e.to_string().contains("max-array-size"), "{e}");
        });
    }

    #[test]
    fn a_long_parse_stops_at_the_deadline() {
        let limits = crate::manifest::Limits {
            timeout: Duration::ZERO,
            ..Default::default()
        };
        let text = format!("a,b\n{}", "1,2\n".repeat(2 * CHECK_EVERY));
        sandbox::Budget::new(&limits).run(|| {
            let e = csv(&text).unwrap_err();
            assert!(
                matches!(*e, rhai::EvalAltResult::ErrorTerminated(..)),
                "{e}"
            );
        });
    }
}
