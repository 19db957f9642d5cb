// The vendored JS-SDK (npm weixin-js-sdk) is a CommonJS module (`module.exports = jWeixin`): give it a `module`
// to fill, so the page reads the SDK from window.module.exports without a bundler (campaign.js takes it as `wx`).
window.module = { exports: {} };
