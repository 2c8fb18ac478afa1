//! Uploads: images and files become messages; what a file is comes from its bytes; downloads
//! are for room members only and can never run in a browser; nothing escapes the uploads folder.

use std::io::Cursor;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestServer, TestUser, files_under, multipart};

/// An 800×600 test picture (with an alpha channel when `alpha`), encoded as `format`.
fn picture(format: image::ImageFormat, alpha: bool) -> Vec<u8> {
    let image = image::RgbaImage::from_fn(800, 600, |x, y| {
        image::Rgba([
            (x % 256) as u8,
            (y % 256) as u8,
            128,
            if alpha { (x % 200) as u8 + 55 } else { 255 },
        ])
    });
    let image = if alpha || format == image::ImageFormat::Png {
        image::DynamicImage::ImageRgba8(image)
    } else {
        image::DynamicImage::ImageRgb8(image::DynamicImage::ImageRgba8(image).to_rgb8())
    };
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), format)
        .expect("encode test picture");
    bytes
}

async fn setup() -> (TestServer, TestUser, i64) {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "photos", false).await;
    (server, alice, room)
}

#[tokio::test]
async fn each_image_type_round_trips_with_a_thumbnail() {
    let (server, alice, room) = setup().await;
    let bob = server.register("bob").await;
    server
        .post(Some(&bob.token), &format!("/api/rooms/{room}/join"), json!({}))
        .await;
    let mut socket = server.ws(&bob).await;
    let cases = [
        (image::ImageFormat::Png, "image/png", "a.png"),
        (image::ImageFormat::Jpeg, "image/jpeg", "b.jpg"),
        (image::ImageFormat::Gif, "image/gif", "c.gif"),
        (image::ImageFormat::WebP, "image/webp", "d.webp"),
    ];
    for (format, content_type, name) in cases {
        let bytes = picture(format, false);
        let (status, body) = server
            .upload(&alice, room, name, &bytes, &[("caption", "look at this")])
            .await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
        let message = &body["message"];
        assert_eq!(message["message_type"], "image", "{name}");
        assert_eq!(message["content"], "look at this");
        let attachment = &message["attachment"];
        assert_eq!(attachment["content_type"], content_type);
        assert_eq!(attachment["file_name"], name);
        assert_eq!(attachment["size"], bytes.len());
        assert_eq!(
            (attachment["width"].as_i64(), attachment["height"].as_i64()),
            (Some(800), Some(600))
        );

        let (status, headers, served) = server.fetch(&bob, attachment["url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(served, bytes, "{name}: the file comes back byte for byte");
        assert_eq!(headers["content-type"], content_type);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["content-security-policy"], "sandbox; default-src 'none'");
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("inline")
        );

        let (status, headers, thumb) = server
            .fetch(&bob, attachment["thumbnail_url"].as_str().unwrap())
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["content-type"].to_str().unwrap().starts_with("image/"));
        let thumb = image::load_from_memory(&thumb).expect("the thumbnail is a real image");
        assert_eq!(
            (thumb.width(), thumb.height()),
            (320, 240),
            "{name}: fits 320 px, keeps 4:3"
        );

        let broadcast = socket
            .expect_where("new_message", |f| f["data"]["message"]["id"] == message["id"])
            .await;
        assert_eq!(broadcast["data"]["message"]["attachment"]["id"], attachment["id"]);
    }
    // Transparency survives in the thumbnail.
    let (_, body) = server
        .upload(
            &alice,
            room,
            "alpha.png",
            &picture(image::ImageFormat::Png, true),
            &[],
        )
        .await;
    let (_, headers, _) = server
        .fetch(
            &alice,
            body["message"]["attachment"]["thumbnail_url"].as_str().unwrap(),
        )
        .await;
    assert_eq!(headers["content-type"], "image/png");
}

#[tokio::test]
async fn the_bytes_decide_what_a_file_is() {
    let (server, alice, room) = setup().await;
    // A PNG called .exe is an image.
    let (status, body) = server
        .upload(
            &alice,
            room,
            "setup.exe",
            &picture(image::ImageFormat::Png, false),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["message"]["message_type"], "image");
    assert_eq!(body["message"]["attachment"]["content_type"], "image/png");

    // SVG with a script and an HTML page are plain files, downloaded, never rendered.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>"#;
    let html = b"<!doctype html><html><body><script>alert(1)</script></body></html>";
    for (name, bytes) in [("pic.svg", &svg[..]), ("page.html", &html[..])] {
        let (status, body) = server.upload(&alice, room, name, bytes, &[]).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {body}");
        let message = &body["message"];
        assert_eq!(message["message_type"], "file", "{name}");
        assert!(message["attachment"]["thumbnail_url"].is_null());
        assert!(message["attachment"]["width"].is_null());
        let (status, headers, served) = server
            .fetch(&alice, message["attachment"]["url"].as_str().unwrap())
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(served, bytes);
        assert_eq!(headers["content-type"], "application/octet-stream");
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment"),
            "{name}"
        );
        assert_eq!(headers["content-security-policy"], "sandbox; default-src 'none'");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let (status, _, _) = server
            .fetch(
                &alice,
                &format!("{}/thumbnail", message["attachment"]["url"].as_str().unwrap()),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "files have no thumbnail");
    }

    // A PDF keeps its detected type for display.
    let (_, body) = server
        .upload(
            &alice,
            room,
            "notes.pdf",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
            &[],
        )
        .await;
    assert_eq!(body["message"]["attachment"]["content_type"], "application/pdf");
}

#[tokio::test]
async fn broken_empty_and_oversized_files_are_refused() {
    let server = TestServer::start_with(|c| c.max_upload_bytes = 1024 * 1024).await;
    let alice = server.register("alice").await;
    let room = server.create_room(&alice, "limits", false).await;
    let before = files_under(&server.config.uploads_dir()).len();

    let jpeg = picture(image::ImageFormat::Jpeg, false);
    let (status, body) = server
        .upload(&alice, room, "cut.jpg", &jpeg[..jpeg.len() / 3], &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_image");
    assert_eq!(body["error"]["field"], "file");
    let (status, body) = server
        .upload(&alice, room, "fake.png", b"\x89PNG\r\n\x1a\nnot really", &[])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_image");

    let (status, body) = server.upload(&alice, room, "empty.txt", b"", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "empty_file");

    let limit = 1024 * 1024;
    let (status, body) = server
        .upload(&alice, room, "big.bin", &vec![7u8; limit + 1], &[])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    let (status, body) = server
        .upload(&alice, room, "exact.bin", &vec![7u8; limit], &[])
        .await;
    assert_eq!(status, StatusCode::CREATED, "exactly the limit is fine: {body}");

    // Not a form at all, or a form without a file.
    let response = server
        .http
        .post(server.url(&format!("/api/rooms/{room}/uploads")))
        .bearer_auth(&alice.token)
        .json(&json!({"file": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (content_type, form) = multipart(&[("caption", None, b"no file")]);
    let response = server
        .http
        .post(server.url(&format!("/api/rooms/{room}/uploads")))
        .bearer_auth(&alice.token)
        .header("content-type", content_type)
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "missing_file"
    );

    // Only the one accepted upload left a file behind; no temporary leftovers.
    let after = files_under(&server.config.uploads_dir());
    assert_eq!(after.len(), before + 1, "{after:?}");
}

#[tokio::test]
async fn hostile_names_are_only_ever_labels() {
    let (server, alice, room) = setup().await;
    let data_dir = server.config.data_dir.clone();
    let before: Vec<_> = files_under(&data_dir)
        .into_iter()
        .filter(|p| !p.starts_with(server.config.uploads_dir()))
        .collect();
    let long = format!("{}.txt", "很长的文件名".repeat(100));
    let cases = [
        ("../../../../tmp/evil.txt", "evil.txt"),
        ("/etc/passwd", "passwd"),
        ("C:\\Windows\\system.ini", "system.ini"),
        ("UTF-8''nul%00byte.txt", "nulbyte.txt"),
        ("UTF-8''%E2%80%AEfdp.exe", "fdp.exe"),
        ("..", "file"),
    ];
    for (name, shown) in cases {
        let (status, body) = server
            .upload(&alice, room, name, b"plain text content", &[])
            .await;
        assert_eq!(status, StatusCode::CREATED, "{name:?}: {body}");
        assert_eq!(body["message"]["attachment"]["file_name"], shown, "{name:?}");
        let (_, headers, _) = server
            .fetch(&alice, body["message"]["attachment"]["url"].as_str().unwrap())
            .await;
        let disposition = headers["content-disposition"].to_str().unwrap();
        assert!(
            !disposition.contains('/') && !disposition.contains("\\\\"),
            "{disposition}"
        );
    }
    // A raw NUL in the part's headers is malformed HTTP: refused, nothing stored.
    let (status, body) = server.upload(&alice, room, "nul\0byte.txt", b"x", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_upload");
    let (status, body) = server.upload(&alice, room, &long, b"x", &[]).await;
    assert_eq!(status, StatusCode::CREATED);
    let shown = body["message"]["attachment"]["file_name"].as_str().unwrap();
    assert_eq!(shown.chars().count(), 200);
    assert!(shown.ends_with(".txt"));

    assert!(!std::path::Path::new("/tmp/evil.txt").exists());
    let outside: Vec<_> = files_under(&data_dir)
        .into_iter()
        .filter(|p| !p.starts_with(server.config.uploads_dir()) && !before.contains(p))
        .filter(|p| !p.to_string_lossy().contains("confab.db"))
        .collect();
    assert!(outside.is_empty(), "files outside uploads/: {outside:?}");
    for path in files_under(&server.config.uploads_dir()) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let id = name.trim_end_matches(".thumb");
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "server-made names only: {name}"
        );
    }
}

#[tokio::test]
async fn files_are_for_room_members_and_go_with_their_message() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let eve = server.register("eve").await;
    let secret = server.create_room(&alice, "secret", true).await;
    let bytes = picture(image::ImageFormat::Png, false);
    let (_, body) = server.upload(&alice, secret, "plan.png", &bytes, &[]).await;
    let message = body["message"].clone();
    let url = message["attachment"]["url"].as_str().unwrap().to_owned();
    let thumb = message["attachment"]["thumbnail_url"]
        .as_str()
        .unwrap()
        .to_owned();

    for path in [&url, &thumb] {
        let (status, _, _) = server.fetch(&eve, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "eve must not get {path}");
        let response = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = server.fetch(&alice, "/api/files/..%2F..%2Fconfab.db").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Eve cannot upload there either, nor to a public room she left.
    let (status, _) = server.upload(&eve, secret, "x.txt", b"x", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let lobby = server.room_id(&eve, "大厅").await;
    server
        .post(Some(&eve.token), &format!("/api/rooms/{lobby}/leave"), json!({}))
        .await;
    let (status, body) = server.upload(&eve, lobby, "x.txt", b"x", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "not_a_member");

    let on_disk = files_under(&server.config.uploads_dir())
        .into_iter()
        .filter(|p| !p.starts_with(server.config.uploads_dir().join("tmp")))
        .count();
    assert_eq!(on_disk, 2, "the image and its thumbnail");
    let (status, _) = server
        .delete(Some(&alice.token), &format!("/api/messages/{}", message["id"]))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for path in [&url, &thumb] {
        let (status, _, _) = server.fetch(&alice, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} after deletion");
    }
    let on_disk = files_under(&server.config.uploads_dir())
        .into_iter()
        .filter(|p| !p.starts_with(server.config.uploads_dir().join("tmp")))
        .count();
    assert_eq!(on_disk, 0, "a deleted message's files are gone from disk");
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{secret}/messages"))
        .await;
    let stored = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == message["id"])
        .unwrap()
        .clone();
    assert_eq!(stored["is_deleted"], true);
    assert!(stored.get("attachment").is_none(), "{stored}");
}

#[tokio::test]
async fn a_retried_upload_is_stored_once() {
    let (server, alice, room) = setup().await;
    let bytes = picture(image::ImageFormat::Jpeg, false);
    let (status, first) = server
        .upload(&alice, room, "a.jpg", &bytes, &[("client_msg_id", "up-1")])
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = server
        .upload(&alice, room, "a.jpg", &bytes, &[("client_msg_id", "up-1")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["message"]["id"], again["message"]["id"]);
    assert_eq!(
        first["message"]["attachment"]["id"],
        again["message"]["attachment"]["id"]
    );
    let stored = files_under(&server.config.uploads_dir())
        .into_iter()
        .filter(|p| !p.starts_with(server.config.uploads_dir().join("tmp")))
        .count();
    assert_eq!(stored, 2, "one image and one thumbnail");
    // History shows the attachment too.
    let (_, history) = server
        .get(Some(&alice.token), &format!("/api/rooms/{room}/messages"))
        .await;
    let listed = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == first["message"]["id"])
        .unwrap()
        .clone();
    assert_eq!(listed["attachment"]["width"], 800);
    let (status, info) = server.get(None, "/api/info").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(info["max_upload_bytes"], 10 * 1024 * 1024);
    assert_eq!(info["retention_days"], 7);
}

/// EXIF (big-endian TIFF) saying "rotate 90° clockwise to display" (orientation 6).
fn exif_rotate_90() -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 1]); // one entry
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // orientation = 6
    tiff.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    tiff
}

/// A `width`×`height` JPEG carrying [`exif_rotate_90`].
fn rotated_jpeg(width: u32, height: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let pixels = image::RgbImage::from_fn(width, height, |x, _| image::Rgb([(x % 256) as u8, 90, 160]));
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80);
    encoder.set_exif_metadata(exif_rotate_90()).unwrap();
    encoder
        .write_image(&pixels, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    bytes
}

/// A `side`×`side` grey PNG written row by row: a few hundred KB on disk, `side`² bytes and more
/// once decoded.
fn huge_png(side: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![200u8; side as usize];
        for _ in 0..side {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
    }
    bytes
}

/// Decompression bombs: an image declaring more than 48 megapixels is refused from its header,
/// before a pixel is decoded (today's code decoded an 11000×11000 PNG into 374 MB, a
/// 12000×12000 JPEG into 862 MB).
#[tokio::test]
async fn images_over_48_megapixels_are_refused_before_decoding() {
    let (server, alice, room) = setup().await;
    let before = files_under(&server.config.uploads_dir()).len();

    let png = huge_png(11_000);
    assert!(
        png.len() < 2 * 1024 * 1024,
        "the bomb is small on disk: {}",
        png.len()
    );
    let (status, body) = server.upload(&alice, room, "bomb.png", &png, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "image_too_large");
    assert_eq!(body["error"]["field"], "file");

    // A small JPEG whose frame header is rewritten to declare 12000×12000.
    let mut jpeg = rotated_jpeg(16, 16);
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0x2E, 0xE0, 0x2E, 0xE0]);
    let (status, body) = server.upload(&alice, room, "bomb.jpg", &jpeg, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "image_too_large");

    // Nothing was stored, and the server still takes ordinary pictures.
    assert_eq!(files_under(&server.config.uploads_dir()).len(), before);
    let (status, body) = server
        .upload(
            &alice,
            room,
            "ok.png",
            &picture(image::ImageFormat::Png, false),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// A photo taken sideways is shown upright: its size and thumbnail follow the EXIF orientation
/// (the thumbnail is turned, not the original).
#[tokio::test]
async fn exif_orientation_turns_the_thumbnail() {
    let (server, alice, room) = setup().await;
    let (status, body) = server
        .upload(&alice, room, "sideways.jpg", &rotated_jpeg(640, 320), &[])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let attachment = &body["message"]["attachment"];
    assert_eq!(
        (attachment["width"].as_i64(), attachment["height"].as_i64()),
        (Some(320), Some(640))
    );
    let (status, _, thumbnail) = server
        .fetch(&alice, attachment["thumbnail_url"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    let thumbnail = image::load_from_memory(&thumbnail).unwrap();
    assert_eq!((thumbnail.width(), thumbnail.height()), (160, 320));
}
