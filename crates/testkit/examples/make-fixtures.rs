//! Writes the bundled example modules into `fixtures/` (run from the repository's top directory):
//! `cargo run -p testkit --example make-fixtures`.

fn main() -> std::io::Result<()> {
    std::fs::create_dir_all("fixtures")?;
    for (name, data) in testkit::fixtures::all() {
        std::fs::write(format!("fixtures/{name}"), data)?;
        println!("fixtures/{name}");
    }
    Ok(())
}
