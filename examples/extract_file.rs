//! Prints what newsmirror extracts from a saved page: `cargo run --example extract_file -- PAGE.html [URL]`.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: extract_file PAGE.html [URL]");
        return;
    };
    let url = url::Url::parse(args.get(1).map_or("https://example.com/", |s| s.as_str())).unwrap();
    let bytes = std::fs::read(path).unwrap();
    let html = newsmirror::fetch::charset::decode(&bytes, None).text;
    match newsmirror::extract::extract(&html, &url, &Default::default()) {
        Ok(e) => println!("{}", e.text),
        Err(e) => eprintln!("{e}"),
    }
}
