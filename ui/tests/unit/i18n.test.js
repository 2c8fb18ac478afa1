// Interface languages: both dictionaries complete, language detection, friendly error texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dictionaries, detectLanguage, setLanguage, t, errorText, formatWait } from '../../js/i18n.js';

test('Chinese and English have exactly the same keys', () => {
  const en = Object.keys(dictionaries.en).sort();
  const zh = Object.keys(dictionaries['zh-CN']).sort();
  assert.deepEqual(zh, en);
});

test('the browser/OS language picks the interface language', () => {
  assert.equal(detectLanguage(['zh-CN', 'en']), 'zh-CN');
  assert.equal(detectLanguage(['zh-TW']), 'zh-CN');
  assert.equal(detectLanguage(['en-GB', 'zh-CN']), 'en');
  assert.equal(detectLanguage(['fr-FR', 'zh-Hans-CN']), 'zh-CN');
  assert.equal(detectLanguage(['fr-FR']), 'en');
  assert.equal(detectLanguage([]), 'en');
});

test('server error codes become sentences in the interface language', () => {
  setLanguage('en');
  assert.equal(errorText({ code: 'username_taken' }), 'That username is already taken — try another one');
  assert.equal(errorText({ code: 'invalid_credentials' }), 'Wrong username or password');
  assert.match(errorText({ code: 'something_new', message: 'odd' }), /odd/);
  setLanguage('zh-CN');
  assert.equal(errorText({ code: 'username_taken' }), '这个用户名已被占用，换一个吧');
  assert.equal(t('typing.one', { a: '小明' }), '小明 正在输入…');
  setLanguage('en');
});

test('too many attempts says how long to wait', () => {
  setLanguage('en');
  assert.equal(errorText({ code: 'too_many_attempts', retryAfter: 45 }), 'Too many attempts. Please wait 45 seconds before trying again.');
  assert.equal(formatWait(900), '15 minutes');
  assert.equal(formatWait(61), '1 min 1 s');
  assert.equal(formatWait(1), '1 second');
  setLanguage('zh-CN');
  assert.equal(errorText({ code: 'too_many_attempts', retryAfter: 125 }), '尝试次数过多，请等待 2 分 5 秒 后再试。');
  setLanguage('en');
});

test('rate limits and the upload quota say how long to wait', () => {
  setLanguage('en');
  assert.equal(errorText({ code: 'rate_limited', retryAfter: 3 }), 'That was faster than this server allows. Please wait 3 seconds and try again.');
  // WebSocket errors carry the server's own field name.
  assert.match(errorText({ code: 'upload_quota_exceeded', retry_after: 3600 }), /60 minutes/);
  assert.match(errorText({ code: 'insufficient_storage' }), /disk space/);
  setLanguage('zh-CN');
  assert.equal(errorText({ code: 'rate_limited', retryAfter: 3 }), '操作太频繁，请等待 3 秒 后再试。');
  setLanguage('en');
});

test('plural-aware strings', () => {
  setLanguage('en');
  assert.equal(t('room.members', { n: 1 }), '1 member');
  assert.equal(t('room.members', { n: 3 }), '3 members');
  assert.equal(t('no.such.key'), 'no.such.key');
});
