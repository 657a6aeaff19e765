//! `lsmod --json`: an array with one object per loaded module, in the order of the listing
//! (docs/json.md, "lsmod").
//!
//! `{"name": "fat", "size": 90112, "refcount": 1, "used_by": ["vfat"]}`: `size` and `refcount`
//! are integers, or `null` where the text shows `-errno` (the value could not be read); `used_by`
//! lists the holders the text shows after the count.

use serde::Serialize;

use crate::lsmod::Row;

/// One loaded module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadedModule<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its size in bytes, `null` if unreadable.
    pub size: Option<u64>,
    /// Its reference count, `null` if unreadable.
    pub refcount: Option<u64>,
    /// The modules using it.
    pub used_by: &'a [String],
}

/// The document: one object per row, in order.
pub fn document(rows: &[Row]) -> Vec<LoadedModule<'_>> {
    rows.iter()
        .map(|r| LoadedModule {
            name: &r.name,
            size: r.size.ok(),
            refcount: r.refcount.ok(),
            used_by: &r.used_by,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_values_are_null() {
        let rows = [
            Row {
                name: "fat".into(),
                size: Ok(90112),
                refcount: Ok(1),
                used_by: vec!["vfat".into(), "msdos".into()],
            },
            Row {
                name: "x".into(),
                size: Err(2),
                refcount: Err(2),
                used_by: vec![],
            },
        ];
        assert_eq!(
            serde_json::to_string(&document(&rows)).unwrap(),
            concat!(
                r#"[{"name":"fat","size":90112,"refcount":1,"used_by":["vfat","msdos"]},"#,
                r#"{"name":"x","size":null,"refcount":null,"used_by":[]}]"#
            )
        );
        assert_eq!(rows[1].line(), "x                         -2  -2");
    }
}
