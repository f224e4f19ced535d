//! `charter report`: the demo month rendered to PDF and HTML. Page 1 of the PDF is turned into
//! pixels by poppler's `pdftoppm` (the real reader, `.ci/packages/report.txt`) and must not be
//! blank; the HTML carries the readiness check and inline SVG charts; bad input is exit 2.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on unexpected output"
)]

#[path = "site_support/mod.rs"]
mod site_support;

use std::path::Path;
use std::process::Command;

use site_support::Site;

/// The demo pack's site with the demo day (15 June 2026) stored in it.
fn demo_site() -> Site {
    let site = Site::with_pack("demo");
    let store = format!("sqlite://{}", site.dir.path().join("charter.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args(["demo", "--once", "--store", &store])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    site
}

/// The share of pixels darker than near-white in a binary PGM (P5, 8-bit) image.
fn ink(pgm: &[u8]) -> f64 {
    // Header: P5, width, height, maxval, each separated by whitespace, then one byte each.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).to_string());
    }
    assert_eq!(fields[0], "P5", "a binary greyscale image");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = &pgm[at + 1..];
    assert_eq!(pixels.len(), w * h);
    pixels.iter().filter(|p| **p < 200).count() as f64 / pixels.len() as f64
}

fn pdftoppm_available() -> bool {
    let found = Command::new("pdftoppm").arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pdftoppm is missing (Debian package poppler-utils, .ci/packages/report.txt)"
        );
        eprintln!("pdftoppm is missing: the PDF is checked only by its header");
    }
    found
}

#[test]
fn the_demo_month_renders_to_a_pdf_whose_first_page_is_not_blank() {
    let site = demo_site();
    let pdf = site.dir.path().join("report.pdf");
    site.ok(&[
        "report",
        "--month",
        "2026-06",
        "--format",
        "pdf",
        "-o",
        pdf.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&pdf).unwrap().permissions().mode() & 0o777,
        0o600
    );
    if !pdftoppm_available() {
        return;
    }
    let out = site.dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-gray", "-r", "40", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "pdftoppm reads the PDF");
    let page = std::fs::read(out.with_extension("pgm")).unwrap();
    let share = ink(&page);
    // A page of headings, tables and text: a few percent of its pixels carry ink; a blank
    // page (fonts missing, nothing laid out) has none.
    assert!(
        share > 0.01,
        "page 1 is blank: {:.4} of its pixels are dark",
        share
    );
    assert!(share < 0.6, "page 1 is mostly black: {share:.4}");
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.contains("Title:") && info.contains("compliance report"),
        "{info}"
    );
}

#[test]
fn the_html_report_holds_the_readiness_check_and_charts() {
    let site = demo_site();
    let html = site.ok(&[
        "report", "--month", "2026-06", "--format", "html", "-o", "-",
    ]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Cyber Essentials readiness"));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(html.contains("Blocked by category"));
    assert!(
        html.contains(">gambling</text>"),
        "the demo day blocks a gambling site"
    );
    assert!(!html.contains("<script"));
    // The demo day's people are in no register: their records count under "other teams".
    assert!(!html.contains(">ann.smith<"));
    assert!(
        html.contains("decisions: verdict = block"),
        "figures name their source"
    );
}

#[test]
fn bad_months_and_formats_are_usage_errors() {
    let site = Site::with_pack("demo");
    let out = site.run(&[
        "report", "--month", "2026-13", "--format", "html", "-o", "-",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`2026-13` is not a month such as 2026-11"),
        "{err}"
    );
    let out = site.run(&[
        "report", "--month", "2026-06", "--format", "docx", "-o", "-",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = site.run(&["report", "--month", "2026-06", "--format", "pdf"]);
    assert_eq!(out.status.code(), Some(2), "no -o");
    let unwritable = Path::new("/nonexistent-dir/report.pdf");
    let out = site.run(&[
        "report",
        "--month",
        "2026-06",
        "--format",
        "pdf",
        "-o",
        unwritable.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
}
