//! Where a key is in stack.toml: semantic problems are found on the parsed values,
//! which carry no positions, so each problem's key path (`services.web.cpu`) is looked
//! up again in the spanned parse of the same text. A key that is not written (a
//! default was used) points at the nearest table that is.

use toml::de::{DeTable, DeValue};

/// `(line, column)`, both from 1, of the key path in `text`.
pub fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    let doc = DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut found = None;
    for segment in key.split('.') {
        let Some((k, v)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == segment) else {
            break;
        };
        found = Some(k.span().start);
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    found.map(|offset| line_column(text, offset))
}

/// `(line, column)` of the key path only when every part of it is written.
pub fn locate_exact(text: &str, key: &str) -> Option<(usize, usize)> {
    let doc = DeTable::parse(text).ok()?;
    let mut table = Some(doc.get_ref());
    let mut found = None;
    for segment in key.split('.') {
        let (k, v) = table?
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == segment)?;
        found = Some(k.span().start);
        table = match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    found.map(|offset| line_column(text, offset))
}

/// The key path (`services.web.port`) whose key or value holds the byte offset: names
/// the key of a type error, which the TOML parser reports by position only.
pub fn key_at(text: &str, offset: usize) -> Option<String> {
    fn search(table: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
        for (k, v) in table.iter() {
            path.push(k.get_ref().to_string());
            // Tables are searched whatever their span: a `[a.b]` header spreads one
            // table over the file.
            if let DeValue::Table(t) = v.get_ref()
                && search(t, offset, path)
            {
                return true;
            }
            let (key, value) = (k.span(), v.span());
            if key.start.min(value.start) <= offset && offset < key.end.max(value.end) {
                return true;
            }
            path.pop();
        }
        false
    }
    let doc = DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    search(doc.get_ref(), offset, &mut path).then(|| path.join("."))
}

/// 1-based line and column of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_in_tables_inline_tables_and_dotted_headers() {
        let text = "[stack]\nname = \"x\"\n\n[services.web]\nimage = \"a\"\ncpu = 300\nhealth_check = { path = \"/h\" }\n";
        assert_eq!(locate(text, "stack.name"), Some((2, 1)));
        assert_eq!(locate(text, "services.web.cpu"), Some((6, 1)));
        assert_eq!(
            locate(text, "services.web.health_check.path"),
            Some((7, 18))
        );
        // Not written: the nearest table that is.
        assert_eq!(locate(text, "services.web.memory").map(|l| l.0), Some(4));
        assert_eq!(locate(text, "network.cidr"), None);
        assert_eq!(locate_exact(text, "services.web.cpu"), Some((6, 1)));
        assert_eq!(locate_exact(text, "services.web.memory"), None);
        assert_eq!(locate_exact(text, "services.web.cpu.x"), None);
    }

    #[test]
    fn the_key_at_an_offset_is_its_full_path() {
        let text = "[stack]\nname = \"x\"\n[services.web]\nport = 70000\nhealth_check = { interval = \"x\" }\n";
        let at = |needle: &str| key_at(text, text.find(needle).unwrap());
        assert_eq!(at("70000").as_deref(), Some("services.web.port"));
        assert_eq!(
            at("\"x\" }").as_deref(),
            Some("services.web.health_check.interval")
        );
        assert_eq!(at("name").as_deref(), Some("stack.name"));
    }
}
