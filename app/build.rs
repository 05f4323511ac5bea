//! Turns `locales/en.toml` and `locales/cy.toml` into typed message tables.
//!
//! Every key must exist in both languages with the same shape, so a missing Welsh string is a
//! build error rather than a blank on the page. A string value is a plain message; a table value
//! is a plural message with CLDR categories (`zero`, `one`, `two`, `few`, `many`, `other`).

use std::{collections::BTreeMap, env, fmt::Write as _, fs, path::Path};

const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

enum Entry {
    Text(String),
    Plural([Option<String>; 6]),
}

fn load(path: &Path) -> BTreeMap<String, Entry> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let table: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for (key, value) in table {
        let entry = match value {
            toml::Value::String(s) => Entry::Text(s),
            toml::Value::Table(t) => {
                let mut forms: [Option<String>; 6] = Default::default();
                for (cat, v) in t {
                    let i = CATEGORIES
                        .iter()
                        .position(|c| *c == cat)
                        .unwrap_or_else(|| {
                            panic!("{}: {key}.{cat}: unknown plural category", path.display())
                        });
                    let toml::Value::String(s) = v else {
                        panic!("{}: {key}.{cat}: must be a string", path.display())
                    };
                    forms[i] = Some(s);
                }
                assert!(
                    forms[5].is_some(),
                    "{}: {key}: plural needs `other`",
                    path.display()
                );
                Entry::Plural(forms)
            }
            _ => panic!(
                "{}: {key}: must be a string or a plural table",
                path.display()
            ),
        };
        out.insert(key, entry);
    }
    out
}

fn variant(key: &str) -> String {
    key.split(['_', '.'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn main() {
    let dir = Path::new("locales");
    println!("cargo:rerun-if-changed=locales");
    // The migrations are embedded by `sqlx::migrate!`: a new one must rebuild the crate.
    println!("cargo:rerun-if-changed=../migrations");
    let en = load(&dir.join("en.toml"));
    let cy = load(&dir.join("cy.toml"));
    for key in cy.keys() {
        assert!(
            en.contains_key(key),
            "cy.toml has `{key}`, which en.toml lacks"
        );
    }

    let mut texts = Vec::new();
    let mut plurals = Vec::new();
    for (key, e) in &en {
        match (e, cy.get(key)) {
            (Entry::Text(a), Some(Entry::Text(b))) => texts.push((key, a, b)),
            (Entry::Plural(a), Some(Entry::Plural(b))) => plurals.push((key, a, b)),
            (_, None) => panic!("cy.toml lacks `{key}`"),
            _ => panic!("`{key}` is a plural in one language and not the other"),
        }
    }

    let mut code = String::new();
    code.push_str("/// A translatable message (keys of `locales/*.toml`).\n");
    code.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum Msg {\n");
    for (key, _, _) in &texts {
        let _ = writeln!(code, "    /// `{key}`\n    {},", variant(key));
    }
    code.push_str("}\n\n/// A message whose form depends on a number.\n");
    code.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]\npub enum PluralMsg {\n");
    for (key, _, _) in &plurals {
        let _ = writeln!(code, "    /// `{key}`\n    {},", variant(key));
    }
    code.push_str("}\n\n");
    for (name, pick) in [("EN", 0), ("CY", 1)] {
        let _ = writeln!(code, "static {name}: [&str; {}] = [", texts.len());
        for (_, a, b) in &texts {
            let _ = writeln!(code, "    {:?},", if pick == 0 { a } else { b });
        }
        code.push_str("];\n");
        let _ = writeln!(
            code,
            "static {name}_PLURAL: [[&str; 6]; {}] = [",
            plurals.len()
        );
        for (_, a, b) in &plurals {
            let forms = if pick == 0 { a } else { b };
            let other = forms[5].clone().unwrap_or_default();
            code.push_str("    [");
            for f in forms.iter() {
                let _ = write!(code, "{:?}, ", f.clone().unwrap_or_else(|| other.clone()));
            }
            code.push_str("],\n");
        }
        code.push_str("];\n");
    }
    let out = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("messages.rs");
    fs::write(out, code).expect("write messages.rs");
}
