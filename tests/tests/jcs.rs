//! Chain version 2 hashes RFC 8785 (JCS) canonical JSON; three
//! implementations of it must agree byte for byte on random documents:
//! the store's (`store::jcs`), the independent one written from the spec
//! (`casetrail_tests::independent::jcs`) and the Python verifier's
//! (`scripts/verify_bundle.py`, standard library only). The documents are
//! meant to be hard: member names whose UTF-16 and UTF-8 orders differ,
//! control characters, and doubles of every magnitude, integers beyond 2^53.

use casetrail_tests::audit::run_binary;
use casetrail_tests::bundles::temp_dir;
use casetrail_tests::independent;
use serde_json::{Map, Number, Value};

/// xorshift64*: reproducible choices without a dependency.
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() >> 33) as usize % n.max(1)
    }
}

/// Characters where the orders and the escapes differ.
const ALPHABET: [&str; 20] = [
    "a",
    "B",
    "1",
    "é",
    "€",
    "\u{fb33}",
    "\u{1f602}",
    "\u{10000}",
    "\u{e000}",
    "\u{ffff}",
    "\u{1}",
    "\n",
    "\"",
    "\\",
    "\u{7f}",
    "\u{2028}",
    "/",
    "\u{80}",
    " ",
    "đ",
];

fn text(choose: &mut Choices) -> String {
    (0..choose.below(5))
        .map(|_| ALPHABET[choose.below(ALPHABET.len())])
        .collect()
}

fn number(choose: &mut Choices) -> Value {
    match choose.below(6) {
        0 => Value::from(choose.below(3000) as i64 - 1000),
        1 => Value::from(choose.next()),
        2 => Value::from(choose.next() as i64),
        3 => {
            // Any finite double, from its bits.
            let x = f64::from_bits(choose.next());
            Number::from_f64(x).map_or(Value::from(0), Value::Number)
        }
        4 => {
            let x = (choose.next() >> 11) as f64 / (1u64 << 53) as f64;
            let scaled = x * 10f64.powi(choose.below(50) as i32 - 25);
            Value::Number(Number::from_f64(scaled).expect("finite"))
        }
        _ => {
            let x = (choose.next() % 1_000_000) as f64 / 1000.0;
            Value::Number(Number::from_f64(x).expect("finite"))
        }
    }
}

fn document(choose: &mut Choices, depth: usize) -> Value {
    match choose.below(if depth > 2 { 4 } else { 6 }) {
        0 => [Value::Null, Value::Bool(true), Value::Bool(false)][choose.below(3)].clone(),
        1 => Value::String(text(choose)),
        2 | 3 => number(choose),
        4 => Value::Array(
            (0..choose.below(4))
                .map(|_| document(choose, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..choose.below(6) {
                map.insert(text(choose), document(choose, depth + 1));
            }
            Value::Object(map)
        }
    }
}

#[tokio::test]
async fn the_store_the_independent_and_the_python_jcs_agree_on_random_documents() {
    let seed = 0x8785_u64;
    let mut choose = Choices(seed);
    let documents: Vec<Value> = (0..3000).map(|_| document(&mut choose, 0)).collect();
    let dir = temp_dir("jcs");
    let input = dir.join("documents.jsonl");
    let lines: Vec<String> = documents
        .iter()
        .map(|d| serde_json::to_string(d).expect("json"))
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").expect("write");
    let program = format!(
        "import json, sys\nsys.path.insert(0, {scripts:?})\nimport verify_bundle\n\
         out = open({output:?}, 'w', encoding='utf-8')\n\
         for line in open({input:?}, encoding='utf-8'):\n    out.write(verify_bundle.jcs(json.loads(line)) + '\\n')\n",
        scripts = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts"),
        output = dir.join("python.txt").to_str().expect("utf-8"),
        input = input.to_str().expect("utf-8"),
    );
    let python = run_binary("python3", &["-c", &program], &[]).await;
    assert_eq!(python.code, Some(0), "{python:?}");
    let by_python = std::fs::read_to_string(dir.join("python.txt")).expect("python's output");
    let by_python: Vec<&str> = by_python.lines().collect();
    assert_eq!(by_python.len(), documents.len());
    for (i, document) in documents.iter().enumerate() {
        let ours = store::jcs::canonical(document);
        assert_eq!(
            ours,
            independent::jcs(document),
            "seed {seed:#x} document {i}: store and independent differ on {}",
            lines[i]
        );
        assert_eq!(
            ours, by_python[i],
            "seed {seed:#x} document {i}: store and Python differ on {}",
            lines[i]
        );
        // JCS output is JSON. (Not "canonical twice is canonical once" here:
        // serde_json's default parser misreads some doubles by one unit in
        // the last place, which is why the store records no fraction.)
        serde_json::from_str::<Value>(&ours).expect("JCS output is JSON");
    }
    let _ = std::fs::remove_dir_all(dir);
}
