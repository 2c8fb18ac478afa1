//! Avatars: uploaded pictures re-encoded by the server, served only to signed-in people; a link
//! to another site is never an avatar.

use std::io::Cursor;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestServer, TestUser};

/// A 600×400 JPEG carrying EXIF (a camera's make, and "rotate 90°").
fn photo_with_exif() -> Vec<u8> {
    use image::ImageEncoder;
    let pixels = image::RgbImage::from_fn(600, 400, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 40])
    });
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 2]);
    tiff.extend_from_slice(&[0x01, 0x0F, 0, 2, 0, 0, 0, 4, b'A', b'C', b'M', 0]); // make "ACM"
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // orientation 6
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    let mut bytes = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85);
    encoder.set_exif_metadata(tiff).unwrap();
    encoder
        .write_image(&pixels, 600, 400, image::ExtendedColorType::Rgb8)
        .unwrap();
    bytes
}

async fn put_avatar(server: &TestServer, user: &TestUser, bytes: Vec<u8>) -> (StatusCode, Value) {
    let response = server
        .http
        .put(server.url("/api/auth/avatar"))
        .bearer_auth(&user.token)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn an_uploaded_avatar_is_a_clean_square_png_for_signed_in_eyes_only() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;

    let (status, body) = put_avatar(&server, &alice, photo_with_exif()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = body["user"]["avatar_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/api/avatars/"), "{url}");

    // Bob sees it beside alice in member lists, and can fetch it.
    let (status, headers, png) = server.fetch(&bob, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let picture = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
    assert_eq!((picture.width(), picture.height()), (256, 256));
    assert!(
        !png.windows(4)
            .any(|w| w == b"Exif" || w == b"eXIf" || w == b"ACM\0"),
        "no metadata of the original survives"
    );
    // Nobody who is not signed in gets it.
    let anonymous = server.http.get(server.url(&url)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    // A new picture replaces the old one, which is then gone.
    let mut second = Vec::new();
    image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(40, 90, image::Rgba([9, 9, 9, 128])))
        .write_to(&mut Cursor::new(&mut second), image::ImageFormat::Png)
        .unwrap();
    let (status, body) = put_avatar(&server, &alice, second).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let newer = body["user"]["avatar_url"].as_str().unwrap().to_owned();
    assert_ne!(newer, url);
    assert_eq!(server.fetch(&bob, &url).await.0, StatusCode::NOT_FOUND);

    // Round-tripping the profile with the current URL is fine; removing clears it.
    let (status, body) = server
        .put(
            Some(&alice.token),
            "/api/auth/profile",
            json!({"avatar_url": newer}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server.delete(Some(&alice.token), "/api/auth/avatar").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["avatar_url"], Value::Null);
    assert_eq!(server.fetch(&bob, &newer).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_pictures_become_avatars() {
    let server = TestServer::start().await;
    let alice = server.register("alice").await;
    let (status, body) = put_avatar(&server, &alice, b"<svg onload=alert(1)>".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid_image");
    let (status, body) = server
        .put(
            Some(&alice.token),
            "/api/auth/profile",
            json!({"avatar_url": "https://tracker.example/pixel.png"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "external_avatar_url");
    let (_, me) = server.get(Some(&alice.token), "/api/auth/me").await;
    assert_eq!(me["user"]["avatar_url"], Value::Null);
}
