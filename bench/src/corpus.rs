//! A deterministic corpus of chat messages in Chinese and English for the search scenario:
//! sentence-length text drawn from Zipf-distributed vocabularies (a few words very common, a
//! long tail of rare ones), so the index sees realistic term frequencies, not repeated strings.

/// Common English words, most frequent first; rarer words are made up from syllables.
const EN_COMMON: &[&str] = &[
    "the",
    "to",
    "and",
    "a",
    "of",
    "is",
    "in",
    "it",
    "we",
    "you",
    "for",
    "this",
    "that",
    "on",
    "i",
    "be",
    "can",
    "with",
    "will",
    "have",
    "not",
    "are",
    "do",
    "just",
    "so",
    "deploy",
    "build",
    "test",
    "server",
    "release",
    "fix",
    "bug",
    "meeting",
    "today",
    "tomorrow",
    "review",
    "merge",
    "branch",
    "update",
    "check",
    "issue",
    "version",
    "team",
    "client",
    "database",
    "search",
    "error",
    "log",
    "please",
    "thanks",
    "now",
    "later",
    "after",
    "before",
    "morning",
    "lunch",
    "call",
    "plan",
    "design",
    "customer",
    "report",
    "ticket",
    "config",
    "network",
    "latency",
    "memory",
    "cache",
    "query",
    "index",
    "backup",
    "restore",
    "rollback",
    "staging",
    "production",
    "monitor",
    "alert",
    "dashboard",
    "metrics",
    "budget",
    "invoice",
    "contract",
    "schedule",
    "holiday",
    "weekend",
    "coffee",
    "office",
    "remote",
    "laptop",
    "password",
    "account",
    "login",
    "upload",
    "download",
    "feature",
    "request",
    "document",
    "draft",
    "slides",
    "demo",
    "launch",
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "to", "sa", "vel", "qui", "dor", "ba", "nex", "pra", "lu", "zen", "fi", "mor",
    "ta", "gri", "shu", "pel", "cor", "vin", "ax", "ol",
];
/// Common Han characters, roughly most frequent first.
const ZH_CHARS: &str = "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版部署测试服务器数据库搜索问题会议明天今天版本上线";

/// One message of the corpus and where it goes.
#[derive(Clone, Debug)]
pub struct Line {
    pub content: String,
    /// Which of the scenario's rooms (0..rooms) and authors (0..2) it belongs to.
    pub room: usize,
    pub author: usize,
}

/// Draws ranks `0..n` with probability ∝ 1 / (rank + 1).
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                total += 1.0 / (r as f64 + 1.0);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.unit() * total;
        self.cumulative
            .partition_point(|c| *c < x)
            .min(self.cumulative.len() - 1)
    }
}

/// xorshift64*: small, fast and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// The generator: vocabularies and their distributions.
pub struct Corpus {
    english: Vec<String>,
    chinese: Vec<String>,
    en_zipf: Zipf,
    zh_zipf: Zipf,
    rooms: usize,
}

/// English words in the vocabulary (common ones, then made-up rare ones).
const EN_WORDS: usize = 20_000;
/// Chinese words: two-character words made of common characters, then single characters.
const ZH_WORDS: usize = 20_000;

impl Corpus {
    pub fn new(rooms: usize) -> Corpus {
        let mut english: Vec<String> = EN_COMMON.iter().map(|w| (*w).to_owned()).collect();
        let mut r = 0usize;
        while english.len() < EN_WORDS {
            let n = SYLLABLES.len();
            let word = format!(
                "{}{}{}",
                SYLLABLES[r % n],
                SYLLABLES[(r / n) % n],
                SYLLABLES[(r / n / n) % n]
            );
            english.push(word);
            r += 1;
        }
        let chars: Vec<char> = ZH_CHARS.chars().collect();
        // Real words at the top, then pairs of characters, common characters pairing first.
        let mut chinese: Vec<String> = [
            "部署", "版本", "明天", "今天", "测试", "服务", "数据", "问题", "会议", "搜索",
        ]
        .iter()
        .map(|w| (*w).to_owned())
        .collect();
        let mut k = 0usize;
        while chinese.len() < ZH_WORDS {
            let a = k % 97;
            let b = (k / 97 + a * 7 + 1) % chars.len();
            chinese.push([chars[a * chars.len() / 97], chars[b]].iter().collect());
            k += 1;
            if k % 5 == 0 {
                chinese.push(chars[k % chars.len()].to_string());
            }
        }
        Corpus {
            en_zipf: Zipf::new(english.len()),
            zh_zipf: Zipf::new(chinese.len()),
            english,
            chinese,
            rooms,
        }
    }

    /// Message `i` of the corpus (the same for the same `i` and seed).
    pub fn line(&self, i: u64) -> Line {
        let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15 ^ i.wrapping_mul(0xBF58_476D_1CE4_E5B9));
        let content = match rng.below(10) {
            0..=5 => self.chinese_sentence(&mut rng),
            6..=8 => self.english_sentence(&mut rng),
            _ => {
                let mut zh = self.chinese_sentence(&mut rng);
                let word = self.english_word(&mut rng);
                let at = zh.char_indices().nth(2).map_or(0, |(b, _)| b);
                zh.insert_str(at, &format!("{word} "));
                zh
            }
        };
        Line {
            content,
            room: rng.below(self.rooms),
            author: rng.below(2),
        }
    }

    fn english_word<'a>(&'a self, rng: &mut Rng) -> &'a str {
        &self.english[self.en_zipf.draw(rng)]
    }

    fn chinese_sentence(&self, rng: &mut Rng) -> String {
        let words = 4 + rng.below(10);
        let mut s = String::new();
        for w in 0..words {
            s.push_str(&self.chinese[self.zh_zipf.draw(rng)]);
            if w + 1 < words && rng.below(6) == 0 {
                s.push('，');
            }
        }
        s.push(if rng.below(4) == 0 { '？' } else { '。' });
        s
    }

    fn english_sentence(&self, rng: &mut Rng) -> String {
        let words = 5 + rng.below(16);
        let mut s = String::new();
        for w in 0..words {
            if w > 0 {
                s.push(' ');
            }
            s.push_str(self.english_word(rng));
        }
        s.push(if rng.below(5) == 0 { '?' } else { '.' });
        s
    }

    /// A common Chinese character (rank `k` among the most used).
    pub fn zh_char(&self, k: usize) -> String {
        self.chinese
            .iter()
            .filter(|w| w.chars().count() == 1)
            .nth(k)
            .cloned()
            .unwrap_or_default()
    }

    /// A Chinese word of two characters at rank `k` or after.
    pub fn zh_word(&self, k: usize) -> String {
        self.chinese[k..]
            .iter()
            .find(|w| w.chars().count() == 2)
            .cloned()
            .unwrap_or_default()
    }

    /// An English word at rank `k`.
    pub fn en_word(&self, k: usize) -> &str {
        &self.english[k.min(self.english.len() - 1)]
    }

    /// Four consecutive Han characters and two consecutive English words, taken from messages
    /// of the corpus, so the queries match something.
    pub fn samples(&self, count: usize) -> (Vec<String>, Vec<String>) {
        let (mut four, mut pairs) = (Vec::new(), Vec::new());
        let mut i = 0;
        while (four.len() < count || pairs.len() < count) && i < 100_000 {
            let line = self.line(i);
            i += 7;
            let chars: Vec<char> = line.content.chars().collect();
            if four.len() < count {
                if let Some(w) = chars
                    .windows(4)
                    .find(|w| w.iter().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(c)))
                {
                    four.push(w.iter().collect());
                }
            }
            let words: Vec<&str> = line.content.trim_end_matches(['.', '?']).split(' ').collect();
            if pairs.len() < count && words.len() > 3 && words[0].is_ascii() {
                pairs.push(format!("\"{} {}\"", words[1], words[2]));
            }
        }
        (four, pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_deterministic_and_varied() {
        let corpus = Corpus::new(4);
        assert_eq!(corpus.line(5).content, Corpus::new(4).line(5).content);
        let lines: std::collections::HashSet<String> = (0..1000).map(|i| corpus.line(i).content).collect();
        assert!(lines.len() > 990, "{}", lines.len());
        let (four, pairs) = corpus.samples(5);
        assert_eq!((four.len(), pairs.len()), (5, 5));
    }
}
