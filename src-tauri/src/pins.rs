//! Trust on first use: which certificate each server (by its stable `id`) was pinned to, where
//! it was last seen, and what a new sighting means — ask, go ahead, follow a move silently, or
//! stop before any credential is sent. Pure logic over plain data; the app keeps it in its store
//! beside the settings (it holds no secret, only public fingerprints).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use server_core::tls::pin;

/// The store key the pins are kept under (in the settings file).
pub const STORE_KEY: &str = "pins";
/// How many addresses are remembered per server: enough for a laptop that moves between a
/// few networks, few enough that a stale list cannot grow without end.
const ADDRESSES: usize = 8;

/// One pinned server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    pub id: String,
    pub name: String,
    /// SHA-256 of the certificate, as the server prints it (colon-separated upper-case hex).
    pub fingerprint: String,
    /// `host:port` where it answered, most recent first.
    pub addresses: Vec<String>,
    /// Unix milliseconds.
    pub first_seen: i64,
    pub last_seen: i64,
}

/// A server as one connection saw it: the `id` and name from its `/api/info`, the fingerprint
/// of the certificate it presented in the handshake, and where it was reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub id: String,
    pub name: String,
    pub fingerprint: String,
    pub address: String,
}

/// What a sighting means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Never seen: ask the person to compare the fingerprint with the host's screen.
    New,
    /// The pinned certificate at a known address.
    Pinned,
    /// The pinned certificate at an address not seen before (DHCP, another network): followed
    /// without a question.
    Moved,
    /// The server at one of its known addresses presents another certificate: blocked before
    /// any credential is sent; only the person can re-pair, after checking with the host.
    Changed { pinned: String, presented: String },
    /// Something at an unknown address claims a pinned `id` with another certificate: not the
    /// pinned server, whatever it says. Refused, and not offered for re-pairing.
    Impostor { pinned: String, presented: String },
}

impl Verdict {
    /// Whether the connection may go on (credentials may be sent).
    pub fn trusted(&self) -> bool {
        matches!(self, Verdict::Pinned | Verdict::Moved)
    }
}

/// Every pinned server, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pins {
    by_id: BTreeMap<String, Pin>,
}

impl Pins {
    /// Reads what the store holds; unreadable entries are dropped one by one (a dropped pin
    /// only means the person is asked again, never that something is trusted).
    pub fn from_stored(stored: Option<&Value>) -> Pins {
        let by_id = stored
            .and_then(Value::as_object)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|(id, value)| {
                        let pin: Pin = serde_json::from_value(value.clone()).ok()?;
                        (pin.id == *id && !pin.fingerprint.is_empty()).then(|| (id.clone(), pin))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Pins { by_id }
    }

    /// The JSON the store keeps.
    pub fn to_stored(&self) -> Value {
        serde_json::to_value(&self.by_id).unwrap_or(Value::Null)
    }

    pub fn get(&self, id: &str) -> Option<&Pin> {
        self.by_id.get(id)
    }

    pub fn all(&self) -> impl Iterator<Item = &Pin> {
        self.by_id.values()
    }

    /// The pin of the server last seen at `address`, if any.
    pub fn at(&self, address: &str) -> Option<&Pin> {
        self.by_id
            .values()
            .filter(|pin| pin.addresses.iter().any(|a| a == address))
            .max_by_key(|pin| pin.last_seen)
    }

    /// The other last known addresses of the server pinned at `address`, most recent first:
    /// where to look for it when it stops answering there.
    pub fn elsewhere(&self, address: &str) -> Vec<String> {
        self.at(address)
            .map(|pin| pin.addresses.iter().filter(|a| *a != address).cloned().collect())
            .unwrap_or_default()
    }

    /// The ports pinned servers were last seen on, each once.
    pub fn ports(&self) -> Vec<u16> {
        let mut ports: Vec<u16> = self
            .all()
            .flat_map(|pin| pin.addresses.iter())
            .filter_map(|address| address.rsplit_once(':')?.1.parse().ok())
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }

    /// What `seen` means, changing nothing.
    pub fn check(&self, seen: &Sighting) -> Verdict {
        let Some(pin) = self.by_id.get(&seen.id) else {
            return Verdict::New;
        };
        let same = same_fingerprint(&pin.fingerprint, &seen.fingerprint);
        let known_address = pin.addresses.contains(&seen.address);
        match (same, known_address) {
            (true, true) => Verdict::Pinned,
            (true, false) => Verdict::Moved,
            (false, true) => Verdict::Changed {
                pinned: pin.fingerprint.clone(),
                presented: seen.fingerprint.clone(),
            },
            (false, false) => Verdict::Impostor {
                pinned: pin.fingerprint.clone(),
                presented: seen.fingerprint.clone(),
            },
        }
    }

    /// Checks `seen` and, when it is trusted, notes it (address first in the list, last seen
    /// now, the name it goes by today). Untrusted sightings change nothing.
    pub fn observe(&mut self, seen: &Sighting, now: i64) -> Verdict {
        let verdict = self.check(seen);
        if verdict.trusted()
            && let Some(pin) = self.by_id.get_mut(&seen.id)
        {
            note(pin, seen, now);
        }
        verdict
    }

    /// Pins `seen` because the person accepted it (first contact, an invite link, or re-pairing
    /// after a changed certificate): its fingerprint replaces any earlier one. The first-seen
    /// time of a re-paired server is kept.
    pub fn pin(&mut self, seen: &Sighting, now: i64) -> &Pin {
        let pin = self.by_id.entry(seen.id.clone()).or_insert_with(|| Pin {
            id: seen.id.clone(),
            name: seen.name.clone(),
            fingerprint: seen.fingerprint.clone(),
            addresses: Vec::new(),
            first_seen: now,
            last_seen: now,
        });
        pin.fingerprint = seen.fingerprint.clone();
        note(pin, seen, now);
        pin
    }

    /// Forgets a server; the next contact asks again.
    pub fn forget(&mut self, id: &str) -> Option<Pin> {
        self.by_id.remove(id)
    }
}

fn note(pin: &mut Pin, seen: &Sighting, now: i64) {
    if !seen.name.is_empty() {
        pin.name = seen.name.clone();
    }
    pin.addresses.retain(|a| *a != seen.address);
    pin.addresses.insert(0, seen.address.clone());
    pin.addresses.truncate(ADDRESSES);
    pin.last_seen = pin.last_seen.max(now);
}

fn same_fingerprint(a: &str, b: &str) -> bool {
    let a = pin::normalize(a);
    !a.is_empty() && a == pin::normalize(b)
}

/// The fingerprint in groups of four hex digits, eight groups a line: short enough to read
/// aloud and compare with the host's screen.
pub fn readable(fp: &str) -> String {
    let hex = pin::normalize(fp);
    let groups: Vec<&str> = hex
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    groups
        .chunks(8)
        .map(|line| line.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FP_A: &str =
        "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
    const FP_B: &str =
        "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0";

    fn seen(id: &str, fp: &str, address: &str) -> Sighting {
        Sighting {
            id: id.into(),
            name: "Office".into(),
            fingerprint: fp.into(),
            address: address.into(),
        }
    }

    #[test]
    fn a_server_never_seen_is_new_and_observing_it_pins_nothing() {
        let mut pins = Pins::default();
        let s = seen("srv1", FP_A, "192.168.1.10:8080");
        assert_eq!(pins.check(&s), Verdict::New);
        assert!(!Verdict::New.trusted());
        assert_eq!(pins.observe(&s, 5), Verdict::New);
        assert_eq!(pins, Pins::default(), "only the person pins a new server");
    }

    #[test]
    fn new_then_pinned_then_moved_then_changed_then_repaired() {
        let mut pins = Pins::default();
        let home = seen("srv1", FP_A, "192.168.1.10:8080");
        assert_eq!(pins.observe(&home, 1), Verdict::New);
        pins.pin(&home, 1);
        assert_eq!(pins.observe(&home, 2), Verdict::Pinned);

        // DHCP gave the host another address: same certificate, followed silently.
        let moved = seen("srv1", FP_A, "192.168.1.23:8080");
        assert_eq!(pins.observe(&moved, 3), Verdict::Moved);
        let pin = pins.get("srv1").unwrap();
        assert_eq!(pin.addresses, ["192.168.1.23:8080", "192.168.1.10:8080"]);
        assert_eq!((pin.first_seen, pin.last_seen), (1, 3));
        assert_eq!(
            pins.check(&moved),
            Verdict::Pinned,
            "the new address is now known"
        );

        // The host's identity was replaced: blocked, and nothing about the pin changes.
        let replaced = seen("srv1", FP_B, "192.168.1.23:8080");
        let before = pins.clone();
        let verdict = pins.observe(&replaced, 4);
        assert_eq!(
            verdict,
            Verdict::Changed {
                pinned: FP_A.into(),
                presented: FP_B.into()
            }
        );
        assert!(!verdict.trusted());
        assert_eq!(pins, before);

        // The person checked with the host and re-paired.
        pins.pin(&replaced, 5);
        let pin = pins.get("srv1").unwrap();
        assert_eq!(pin.fingerprint, FP_B);
        assert_eq!((pin.first_seen, pin.last_seen), (1, 5));
        assert_eq!(pins.observe(&replaced, 6), Verdict::Pinned);
        assert!(matches!(
            pins.check(&seen("srv1", FP_A, "192.168.1.23:8080")),
            Verdict::Changed { .. }
        ));
    }

    #[test]
    fn another_server_claiming_a_pinned_id_is_refused_and_changes_nothing() {
        let mut pins = Pins::default();
        pins.pin(&seen("srv1", FP_A, "10.0.0.1:8080"), 1);
        let before = pins.clone();
        let fake = seen("srv1", FP_B, "10.0.0.66:8080");
        let verdict = pins.observe(&fake, 2);
        assert_eq!(
            verdict,
            Verdict::Impostor {
                pinned: FP_A.into(),
                presented: FP_B.into()
            }
        );
        assert!(!verdict.trusted());
        assert_eq!(pins, before, "the impostor's address is not learned");
        assert_eq!(pins.at("10.0.0.66:8080"), None);
    }

    #[test]
    fn fingerprints_compare_by_hex_digits_whatever_their_spelling() {
        let mut pins = Pins::default();
        pins.pin(&seen("srv1", FP_A, "h:1"), 1);
        let lower = FP_A.to_lowercase().replace(':', "");
        assert_eq!(pins.check(&seen("srv1", &lower, "h:1")), Verdict::Pinned);
        // An empty fingerprint (a plain-HTTP answer) never matches anything.
        assert!(!same_fingerprint("", ""));
        assert!(matches!(
            pins.check(&seen("srv1", "", "h:1")),
            Verdict::Changed { .. }
        ));
    }

    #[test]
    fn two_servers_are_pinned_independently_and_the_address_finds_the_latest() {
        let mut pins = Pins::default();
        pins.pin(&seen("one", FP_A, "10.0.0.5:8080"), 1);
        pins.pin(&seen("two", FP_B, "10.0.0.6:8080"), 2);
        assert_eq!(pins.check(&seen("one", FP_A, "10.0.0.5:8080")), Verdict::Pinned);
        assert_eq!(pins.check(&seen("two", FP_B, "10.0.0.6:8080")), Verdict::Pinned);
        // "two" moved to the address "one" used to have.
        assert_eq!(
            pins.observe(&seen("two", FP_B, "10.0.0.5:8080"), 3),
            Verdict::Moved
        );
        assert_eq!(pins.at("10.0.0.5:8080").unwrap().id, "two");
        assert_eq!(pins.at("10.0.0.6:8080").unwrap().id, "two");
        assert_eq!(pins.at("10.0.0.7:8080"), None);
    }

    #[test]
    fn addresses_are_bounded_most_recent_first_and_the_name_follows() {
        let mut pins = Pins::default();
        pins.pin(&seen("srv1", FP_A, "h:0"), 0);
        for i in 1..20 {
            let mut s = seen("srv1", FP_A, &format!("h:{i}"));
            s.name = format!("Office {i}");
            assert_eq!(pins.observe(&s, i), Verdict::Moved);
        }
        let pin = pins.get("srv1").unwrap();
        assert_eq!(pin.addresses.len(), ADDRESSES);
        assert_eq!(pin.addresses[0], "h:19");
        assert_eq!(pin.name, "Office 19");
        // A clock that went backwards never makes last-seen older.
        pins.observe(&seen("srv1", FP_A, "h:19"), 3);
        assert_eq!(pins.get("srv1").unwrap().last_seen, 19);
    }

    #[test]
    fn where_else_to_look_and_which_ports_to_scan() {
        let mut pins = Pins::default();
        pins.pin(&seen("srv1", FP_A, "10.0.0.5:8080"), 0);
        pins.observe(&seen("srv1", FP_A, "192.168.1.9:9000"), 1);
        pins.observe(&seen("srv1", FP_A, "10.0.0.7:8080"), 2);
        pins.pin(&seen("srv2", FP_B, "[fe80::1]:7443"), 3);
        assert_eq!(
            pins.elsewhere("10.0.0.7:8080"),
            ["192.168.1.9:9000", "10.0.0.5:8080"]
        );
        assert!(pins.elsewhere("10.9.9.9:8080").is_empty());
        assert_eq!(pins.ports(), [7443, 8080, 9000]);
    }

    #[test]
    fn forgetting_a_server_asks_again_next_time() {
        let mut pins = Pins::default();
        let s = seen("srv1", FP_A, "h:1");
        pins.pin(&s, 1);
        assert!(pins.forget("srv1").is_some());
        assert_eq!(pins.check(&s), Verdict::New);
        assert!(pins.forget("srv1").is_none());
    }

    #[test]
    fn survives_the_store_and_drops_unreadable_entries_only() {
        let mut pins = Pins::default();
        pins.pin(&seen("srv1", FP_A, "h:1"), 1);
        pins.pin(&seen("srv2", FP_B, "h:2"), 2);
        let stored = pins.to_stored();
        assert_eq!(Pins::from_stored(Some(&stored)), pins);

        let mut damaged = stored.clone();
        damaged["srv2"] = json!({"id": "srv2"});
        damaged["srv3"] = json!("garbage");
        // An entry filed under another id than its own is not trusted for either.
        let mut moved = stored["srv1"].clone();
        moved["id"] = json!("other");
        damaged["srv4"] = moved;
        let read = Pins::from_stored(Some(&damaged));
        assert_eq!(read.all().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["srv1"]);
        assert_eq!(Pins::from_stored(None), Pins::default());
        assert_eq!(Pins::from_stored(Some(&json!([1, 2]))), Pins::default());
    }

    #[test]
    fn verdicts_serialize_for_the_web_client() {
        let json = serde_json::to_value(Verdict::Changed {
            pinned: "A".into(),
            presented: "B".into(),
        })
        .unwrap();
        assert_eq!(
            json,
            json!({"verdict": "changed", "pinned": "A", "presented": "B"})
        );
        assert_eq!(
            serde_json::to_value(Verdict::New).unwrap(),
            json!({"verdict": "new"})
        );
    }

    #[test]
    fn readable_fingerprints_are_groups_of_four_in_two_lines() {
        assert_eq!(
            readable(FP_A),
            "AABB CCDD EEFF 0011 2233 4455 6677 8899\nAABB CCDD EEFF 0011 2233 4455 6677 8899"
        );
        assert_eq!(readable("ab:c"), "ABC");
        assert_eq!(readable(""), "");
    }
}
