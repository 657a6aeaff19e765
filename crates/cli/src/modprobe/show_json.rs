//! `modprobe -c --json`: the configuration and the index dump as one JSON object (see
//! [`crate::json::modprobe::ConfigDocument`]), in place of the text of [`super::show`].

use kmod::{Context, IndexKind};
use modconf::ModprobeConfig;

use super::output::Output;
use crate::json::modprobe::config_document;
use crate::log::Priority;
use crate::{EXIT_FAILURE, EXIT_SUCCESS};

/// Builds `-c`'s document and makes it the output's JSON document; returns the exit status.
pub fn show_config(ctx: &Context, config: &ModprobeConfig, out: &mut Output) -> i32 {
    let mut doc = config_document(config);
    let mut status = EXIT_SUCCESS;
    for kind in [IndexKind::Alias, IndexKind::Symbols] {
        // Missing or unusable indexes show nothing, as in the text.
        let Ok(Some(index)) = ctx.index(kind) else {
            continue;
        };
        let dumped = index.for_each(|key, value| {
            doc.indexes
                .add(kind == IndexKind::Symbols, key, &value.value);
        });
        if let Err(e) = dumped {
            out.log(Priority::Error, &e.to_string());
            status = EXIT_FAILURE;
        }
    }
    if let Some(json) = out.json_mut() {
        json.set_config(doc);
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_and_indexes_of_a_tree() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::with_dirname(dir.path().to_path_buf(), "1.0".into());
        let mut cfg = ModprobeConfig::default();
        cfg.parse_file("t.conf".as_ref(), b"alias a-b m\n", &mut Vec::new());
        let mut out = Output::new("modprobe");
        out.use_json();
        // No indexes: only the configuration.
        assert_eq!(show_config(&ctx, &cfg, &mut out), EXIT_SUCCESS);
        match out.json_mut().map(|j| j.document().clone()) {
            Some(crate::json::modprobe::Document::Config(doc)) => {
                assert_eq!(doc.aliases.len(), 1);
                assert_eq!(doc.aliases[0].pattern, "a_b");
                assert!(doc.indexes.aliases.is_empty() && doc.indexes.symbols.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }
}
