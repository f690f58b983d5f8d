fn main() {
    println!("matdiff");
}
