//! The desktop's LAN code across a real (if virtual) switch: network namespaces made inside an
//! unprivileged user namespace (`unshare -rnm`), joined by a bridge, so nothing reaches this
//! machine's own networks. The office server runs in `host`, a machine claiming to be it (same
//! id, another certificate) in `third`, and the app's scan, probe and pin store in `peer` —
//! each a helper test of this binary, re-run inside its namespace.

use std::process::Command;
use std::time::Duration;

use confab_desktop::pins::{Pins, Verdict};
use confab_desktop::transport;
use server_core::discovery::scan::{ScanOptions, ScanOutcome, scan};
use server_core::{Config, Profile, Server, TlsMode};

fn namespaces_work() -> bool {
    Command::new("unshare")
        .args([
            "-rn", "ip", "link", "add", "probe0", "type", "veth", "peer", "name", "probe1",
        ])
        .output()
        .is_ok_and(|out| out.status.success())
}

#[test]
fn a_third_machine_announcing_the_same_id_with_another_certificate_is_an_impostor() {
    if !namespaces_work() {
        // Said loudly rather than passed quietly: the assertions below did not run.
        eprintln!("SKIPPED: this machine does not allow unprivileged network namespaces (unshare -rn)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    let script = format!(
        r#"
set -eu
cd {work}
mount -t tmpfs none /run
mkdir -p /run/netns
ip link add sw type bridge
ip link set sw up
n=1
for ns in host peer third; do
  ip netns add $ns
  ip link add lan0 netns $ns type veth peer name p-$ns
  ip link set p-$ns master sw
  ip link set p-$ns up
  ip -n $ns addr add 10.77.0.$n/24 dev lan0
  ip -n $ns link set lo up
  ip -n $ns link set lan0 up
  n=$((n + 1))
done
serve() {{
  CONFAB_SERVE_DIR={work}/$1 ip netns exec $1 {me} serve_helper --exact --ignored --nocapture > $1.out 2> $1.err &
  for _ in $(seq 200); do
    if grep -q '^READY' $1.out; then return 0; fi
    sleep 0.1
  done
  echo "the server in $1 never started"; cat $1.err; return 1
}}
mkdir host third
serve host
# The impostor: a copy of the server's data (so its id) without its identity (so another
# certificate).
for f in host/*; do case $(basename $f) in identity.*) ;; *) if [ -f $f ]; then cp $f third/; fi;; esac; done
serve third
CONFAB_JUDGE=1 ip netns exec peer {me} judge_helper --exact --ignored --nocapture > peer.out 2> peer.err || true
touch host/stop third/stop
wait
cat host.out third.out peer.out
"#,
        work = work.path().display(),
        me = me.display(),
    );
    let out = Command::new("timeout")
        .args([
            "120",
            "unshare",
            "-rnm",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script,
        ])
        .output()
        .expect("unshare runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let peer_err = std::fs::read_to_string(work.path().join("peer.err")).unwrap_or_default();
    let context = format!(
        "stdout:\n{stdout}\nstderr:\n{}\npeer stderr:\n{peer_err}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{context}");
    let result: serde_json::Value = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .map(|json| serde_json::from_str(json).unwrap())
        .unwrap_or_else(|| panic!("the peer reported nothing\n{context}"));
    eprintln!("the peer's view: {result}");
    // The scan hears one server id, at both addresses that claim it.
    assert_eq!(result["scan_ids"], 1, "{context}");
    assert_eq!(
        result["scan_addresses"],
        serde_json::json!(["10.77.0.1", "10.77.0.3"]),
        "{context}"
    );
    assert_eq!(result["same_id"], true, "{context}");
    assert_ne!(result["host_fp"], result["third_fp"], "{context}");
    assert_eq!(result["host_verdict"], "new", "{context}");
    assert_eq!(result["third_verdict"], "impostor", "{context}");
    assert_eq!(result["learned_from_third"], false, "{context}");
    assert_eq!(result["pinned_connects_to_third"], false, "{context}");
}

/// Runs a Confab server (HTTPS, announcing) in its namespace with the data in
/// `CONFAB_SERVE_DIR`, until a `stop` file appears there (at most a minute).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run inside a network namespace by a_third_machine_announcing_the_same_id_…"]
async fn serve_helper() {
    let Ok(dir) = std::env::var("CONFAB_SERVE_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let mut config = Config::new(dir.clone());
    config.bind = "0.0.0.0:8080".parse().unwrap();
    config.profile = Profile::Testing;
    config.tls.mode = TlsMode::On;
    config.server_name = "Front desk".into();
    let server = Server::start(config).await.expect("the server starts");
    println!("READY {}", server.tls_fingerprint().unwrap_or_default());
    for _ in 0..600 {
        if dir.join("stop").exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.shutdown().await.unwrap();
}

/// Runs in `peer`: scans, meets the real server first (the person accepts it), then the
/// machine at the third address claiming the same id; prints what the app concluded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run inside a network namespace by a_third_machine_announcing_the_same_id_…"]
async fn judge_helper() {
    if std::env::var("CONFAB_JUDGE").is_err() {
        return;
    }
    let report = scan(&ScanOptions::default()).await;
    assert_eq!(report.outcome, ScanOutcome::Found, "{report:?}");
    let host = transport::probe("10.77.0.1:8080")
        .await
        .expect("the server answers");
    let third = transport::probe("10.77.0.3:8080")
        .await
        .expect("the impostor answers");
    let mut pins = Pins::default();
    let host_verdict = pins.observe(&host.sighting(), 1);
    pins.pin(&host.sighting(), 1);
    let before = pins.clone();
    let third_verdict = pins.observe(&third.sighting(), 2);
    let pinned = pins.get(&host.id).unwrap().fingerprint.clone();
    let pinned_connects_to_third = transport::connect_pinned("10.77.0.3:8080", &pinned).await.is_ok();
    let verdict = |v: &Verdict| serde_json::to_value(v).unwrap()["verdict"].clone();
    println!(
        "RESULT {}",
        serde_json::json!({
            "scan_ids": report.servers.len(),
            "scan_addresses": report.servers.first().map(|s| s.addresses.iter().map(ToString::to_string).collect::<Vec<_>>()),
            "host_fp": host.fingerprint,
            "third_fp": third.fingerprint,
            "same_id": host.id == third.id,
            "host_verdict": verdict(&host_verdict),
            "third_verdict": verdict(&third_verdict),
            "learned_from_third": pins != before,
            "pinned_connects_to_third": pinned_connects_to_third,
        })
    );
}
