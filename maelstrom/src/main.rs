fn main() {
    eprintln!("maelstrom: being written");
    std::process::exit(255);
}
