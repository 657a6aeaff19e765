//! `modinfo --json`: one object per module shown (docs/json.md, "modinfo").
//!
//! The object maps each field to what `modinfo -F <field>` prints for it, so the JSON and the
//! text say the same thing:
//! * `operand` (the argument that named the module), `builtin` and `filename` (`null` for a
//!   built-in module) come first;
//! * every `.modinfo` key follows in order of first appearance, as an **array** of its values in
//!   order: keys repeat in real modules (`alias`, `author`, but also `license` and `description`
//!   in composite modules), so a string would have to drop values; `depends` is split at commas
//!   into module names; the name a built-in module was found by is the first `name`;
//! * the signature fields `sig_id`, `signer`, `sig_key`, `sig_hashalgo` and `signature` are
//!   strings (hex bytes joined by `:`, not wrapped) when the module is signed;
//! * `parm` is an array of `{name, type, description}` merged from `parm` and `parmtype`, in
//!   order of first appearance (the text lists them in the reverse order);
//! * `.modinfo` entries whose key is one of the names above that modinfo computes itself
//!   (`operand`, `builtin`, `filename`, `shadowed` and the signature fields) are kept under
//!   `shadowed`, key → values, instead of being lost.
//!
//! With `-F FIELD`, an object holds `operand`, `builtin`, `filename` and FIELD only (FIELD left
//! out when the module has none); `-F parmtype` gives the raw `parmtype` values, as the text does.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde::Serialize as DeriveSerialize;

use super::text;
use crate::modinfo::{signature_fields, Params};
use modfile::Signature;

/// Keys modinfo computes itself: `.modinfo` entries with these keys go under `shadowed`.
const RESERVED: &[&str] = &[
    "operand",
    "builtin",
    "filename",
    "shadowed",
    "sig_id",
    "signer",
    "sig_key",
    "sig_hashalgo",
    "signature",
];

/// What modinfo read about one module.
#[derive(Debug, Clone, Copy)]
pub struct ModuleInfo<'a> {
    /// The command-line argument that named the module.
    pub operand: &'a str,
    /// The module file (bytes of its absolute path); `None` for a built-in module.
    pub filename: Option<&'a [u8]>,
    /// For a built-in module, the name it was found by.
    pub builtin_name: Option<&'a str>,
    /// The `.modinfo` (or `modules.builtin.modinfo`) entries in order.
    pub entries: &'a [(&'a [u8], &'a [u8])],
    /// The module's signature, if it is signed.
    pub signature: Option<&'a Signature>,
}

/// One parameter, merged from `parm` (description) and `parmtype` (type).
#[derive(Debug, Clone, PartialEq, Eq, DeriveSerialize)]
pub struct Parameter {
    /// The parameter's name.
    pub name: String,
    /// Its type (`parmtype`), if declared.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Its description (`parm`), if declared.
    pub description: Option<String>,
}

/// A member's value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Bool(bool),
    Str(String),
    Null,
    Strings(Vec<String>),
    Params(Vec<Parameter>),
    Shadowed(Vec<(String, Vec<String>)>),
}

/// The JSON object of one module, members in output order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleObject {
    members: Vec<(String, Value)>,
}

impl ModuleObject {
    /// The values of array member `key` (a `.modinfo` key), if present.
    pub fn strings(&self, key: &str) -> Option<&[String]> {
        self.members.iter().find_map(|(k, v)| match v {
            Value::Strings(s) if k == key => Some(s.as_slice()),
            _ => None,
        })
    }

    /// The member names in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|(k, _)| k.as_str())
    }
}

/// Adds `values` to the values of `key` in `fields` (a new member, last, if `key` is new).
fn push_values(
    fields: &mut Vec<(String, Vec<String>)>,
    key: &str,
    values: impl IntoIterator<Item = String>,
) {
    match fields.iter_mut().find(|(k, _)| k == key) {
        Some((_, list)) => list.extend(values),
        None => fields.push((key.to_string(), values.into_iter().collect())),
    }
}

impl Serialize for ModuleObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.members.len()))?;
        for (key, value) in &self.members {
            match value {
                Value::Bool(b) => map.serialize_entry(key, b)?,
                Value::Str(s) => map.serialize_entry(key, s)?,
                Value::Null => map.serialize_entry(key, &())?,
                Value::Strings(v) => map.serialize_entry(key, v)?,
                Value::Params(p) => map.serialize_entry(key, p)?,
                Value::Shadowed(entries) => map.serialize_entry(key, &Ordered(entries))?,
            }
        }
        map.end()
    }
}

/// A list of `(key, values)` serialised as an object in list order.
struct Ordered<'a>(&'a [(String, Vec<String>)]);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, values) in self.0 {
            map.serialize_entry(key, values)?;
        }
        map.end()
    }
}

/// Builds the object of one module; `field` is `-F`'s field. Returns the object and the error
/// messages the text form prints too (`parm` values without `:`).
pub fn module_object(info: &ModuleInfo<'_>, field: Option<&str>) -> (ModuleObject, Vec<String>) {
    let wants = |key: &str| field.is_none() || field == Some(key);
    let mut obj = ModuleObject {
        members: vec![
            ("operand".into(), Value::Str(info.operand.to_string())),
            ("builtin".into(), Value::Bool(info.filename.is_none())),
            (
                "filename".into(),
                match info.filename {
                    Some(path) => Value::Str(text(path).into_owned()),
                    None => Value::Null,
                },
            ),
        ],
    };
    // The `.modinfo` keys, in order of first appearance.
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    if let Some(name) = info.builtin_name.filter(|_| wants("name")) {
        push_values(&mut fields, "name", [name.to_string()]);
    }
    let mut errors = Vec::new();
    let mut params = Params::default();
    let mut shadowed: Vec<(String, Vec<String>)> = Vec::new();
    for &(key, value) in info.entries {
        let is_param = key == b"parm" || (key == b"parmtype" && field != Some("parmtype"));
        if is_param {
            if matches!(field, None | Some("parm")) {
                if let Err(bad) = params.add(key == b"parmtype", value) {
                    errors.push(format!(
                        "Found invalid \"{}={}\": missing ':'",
                        text(key),
                        text(bad)
                    ));
                }
            }
            continue;
        }
        let key = text(key);
        if !wants(&key) {
            continue;
        }
        if RESERVED.contains(&key.as_ref()) {
            push_values(&mut shadowed, &key, [text(value).into_owned()]);
        } else if key == "depends" {
            let names = text(value);
            let names = names
                .split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_string);
            push_values(&mut fields, "depends", names);
        } else {
            push_values(&mut fields, &key, [text(value).into_owned()]);
        }
    }
    obj.members.extend(
        fields
            .into_iter()
            .map(|(key, values)| (key, Value::Strings(values))),
    );
    if let Some(sig) = info.signature {
        for (key, value) in signature_fields(sig) {
            if wants(key) {
                obj.members
                    .push((key.to_string(), Value::Str(value.replace("\n\t\t", ""))));
            }
        }
    }
    if matches!(field, None | Some("parm")) && !params.list.is_empty() {
        let list = params
            .list
            .iter()
            .map(|p| Parameter {
                name: text(p.name).into_owned(),
                kind: p.kind.map(|t| text(t).into_owned()),
                description: p.description.map(|d| text(d).into_owned()),
            })
            .collect();
        obj.members.push(("parm".into(), Value::Params(list)));
    }
    if !shadowed.is_empty() {
        obj.members
            .push(("shadowed".into(), Value::Shadowed(shadowed)));
    }
    (obj, errors)
}

/// The object of a module file when only its file name is asked for (`-F filename`): nothing
/// is read from the file, as in the text form.
pub fn filename_only(operand: &str, filename: &[u8]) -> ModuleObject {
    module_object(
        &ModuleInfo {
            operand,
            filename: Some(filename),
            builtin_name: None,
            entries: &[],
            signature: None,
        },
        Some("filename"),
    )
    .0
}

#[cfg(test)]
mod tests {
    use super::*;
    use modfile::signature::SignatureIdType;

    fn json(obj: &ModuleObject) -> String {
        serde_json::to_string(obj).unwrap()
    }

    const ENTRIES: &[(&[u8], &[u8])] = &[
        (b"alias", b"pci:v1*"),
        (b"license", b"GPL"),
        (b"parmtype", b"debug:int"),
        (b"alias", b"pci:v2*"),
        (b"parm", b"debug:Debug level"),
        (b"parm", b"broken"),
        (b"depends", b"a,b"),
        (b"parmtype", b"size:uint"),
        (b"license", b"Dual BSD/GPL"),
        (b"signer", b"from .modinfo"),
        (b"name", b"m\xff"),
    ];

    fn file_info<'a>(entries: &'a [(&'a [u8], &'a [u8])]) -> ModuleInfo<'a> {
        ModuleInfo {
            operand: "m",
            filename: Some(b"/lib/modules/m.ko"),
            builtin_name: None,
            entries,
            signature: None,
        }
    }

    #[test]
    fn full_object() {
        let (obj, errors) = module_object(&file_info(ENTRIES), None);
        assert_eq!(
            json(&obj),
            concat!(
                r#"{"operand":"m","builtin":false,"filename":"/lib/modules/m.ko","#,
                r#""alias":["pci:v1*","pci:v2*"],"license":["GPL","Dual BSD/GPL"],"#,
                r#""depends":["a","b"],"name":["m�"],"#,
                r#""parm":[{"name":"debug","type":"int","description":"Debug level"},"#,
                r#"{"name":"size","type":"uint","description":null}],"#,
                r#""shadowed":{"signer":["from .modinfo"]}}"#
            )
        );
        assert_eq!(errors, ["Found invalid \"parm=broken\": missing ':'"]);
    }

    #[test]
    fn empty_depends_is_an_empty_array() {
        let (obj, _) = module_object(&file_info(&[(b"depends", b"")]), None);
        assert_eq!(obj.strings("depends"), Some(&[][..]));
        let (obj, _) = module_object(&file_info(&[]), None);
        assert_eq!(obj.strings("depends"), None);
        assert_eq!(
            obj.keys().collect::<Vec<_>>(),
            ["operand", "builtin", "filename"]
        );
    }

    #[test]
    fn a_field_limits_the_object() {
        let (obj, errors) = module_object(&file_info(ENTRIES), Some("alias"));
        assert_eq!(
            json(&obj),
            r#"{"operand":"m","builtin":false,"filename":"/lib/modules/m.ko","alias":["pci:v1*","pci:v2*"]}"#
        );
        assert!(errors.is_empty());
        let (obj, errors) = module_object(&file_info(ENTRIES), Some("parmtype"));
        assert_eq!(
            obj.strings("parmtype"),
            Some(&["debug:int".to_string(), "size:uint".to_string()][..])
        );
        assert!(errors.is_empty());
        let (obj, errors) = module_object(&file_info(ENTRIES), Some("parm"));
        assert_eq!(
            obj.keys().collect::<Vec<_>>(),
            ["operand", "builtin", "filename", "parm"]
        );
        assert_eq!(errors.len(), 1);
        let (obj, _) = module_object(&file_info(ENTRIES), Some("nothing"));
        assert_eq!(obj.keys().count(), 3);
        let obj = filename_only("x.ko", b"/x.ko");
        assert_eq!(
            json(&obj),
            r#"{"operand":"x.ko","builtin":false,"filename":"/x.ko"}"#
        );
    }

    #[test]
    fn builtin_modules_have_no_file_and_their_name_first() {
        let entries: &[(&[u8], &[u8])] = &[(b"alias", b"net-pf-1"), (b"file", b"net/unix/unix")];
        let info = ModuleInfo {
            operand: "net-pf-1",
            filename: None,
            builtin_name: Some("unix"),
            entries,
            signature: None,
        };
        let (obj, _) = module_object(&info, None);
        assert_eq!(
            json(&obj),
            r#"{"operand":"net-pf-1","builtin":true,"filename":null,"name":["unix"],"alias":["net-pf-1"],"file":["net/unix/unix"]}"#
        );
        let (obj, _) = module_object(&info, Some("name"));
        assert_eq!(obj.strings("name"), Some(&["unix".to_string()][..]));
        let (obj, _) = module_object(&info, Some("file"));
        assert_eq!(obj.strings("name"), None);
    }

    #[test]
    fn signature_fields_are_unwrapped_strings() {
        let sig = Signature {
            id_type: SignatureIdType::Pkcs7,
            signer: b"Build key".to_vec(),
            key_id: vec![0xab, 0x01],
            hash_algo: "sha256".into(),
            signature: (0u8..25).collect(),
        };
        let info = ModuleInfo {
            signature: Some(&sig),
            ..file_info(&[(b"license", b"GPL")])
        };
        let (obj, _) = module_object(&info, None);
        let value: serde_json::Value = serde_json::to_value(&obj).unwrap();
        assert_eq!(value["sig_id"], "PKCS#7");
        assert_eq!(value["signer"], "Build key");
        assert_eq!(value["sig_key"], "AB:01");
        assert_eq!(value["sig_hashalgo"], "sha256");
        let hex = value["signature"].as_str().unwrap();
        assert!(!hex.contains('\n') && hex.starts_with("00:01:") && hex.ends_with(":18"));
        assert_eq!(hex.split(':').count(), 25);
        let (obj, _) = module_object(&info, Some("sig_key"));
        assert_eq!(
            obj.keys().collect::<Vec<_>>(),
            ["operand", "builtin", "filename", "sig_key"]
        );
    }
}
