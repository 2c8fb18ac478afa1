// Starts the web client. A host page may set `globalThis.__CONFAB_CONFIG__ = {baseUrl, platform}`
// before this module runs (the desktop app does so from its initialization script); a plain
// browser visit uses the page's own origin.

import * as api from './net/index.js';
import { createStore } from './state.js';
import { createController } from './controller/index.js';
import { createUi } from './views/app.js';
import { setAvatarLoader } from './dom.js';
import { createAvatarLoader } from './avatars.js';

const config = globalThis.__CONFAB_CONFIG__;
if (config) api.configure(config);

setAvatarLoader(createAvatarLoader((url, options) => api.fetchFile(url, options)));

const store = createStore();
const ui = createUi({ root: document.getElementById('app'), store });
const controller = createController({ store, ui });
ui.bind(controller.actions);
controller.start();
