//! The benchmark's test suite: every scenario runs end to end at tiny size, with Confab and the
//! ceiling server inside the tool's process, so the tool cannot rot. No timing is asserted —
//! only that each scenario completes and counts every message exactly.

mod common;
mod scenarios;
