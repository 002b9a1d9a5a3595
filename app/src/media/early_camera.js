// Starts a guest's camera preview while the page is still being parsed,
// before the WebAssembly has arrived (on a slow link that takes seconds).
// Only when the page has a preview to show: a dead link asks for nothing.
// The app takes the stream over when it wakes up (media/devices.rs,
// window.__anteroomEarlyMedia); if the browser refused, the app asks
// again itself and explains why.
(() => {
  if (!navigator.mediaDevices) return;
  const start = (video) => {
    const media = navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    window.__anteroomEarlyMedia = media;
    media.then((stream) => {
      if (!video.srcObject) video.srcObject = stream;
    }, () => {});
  };
  const watch = new MutationObserver(() => {
    const video = document.querySelector('video.preview-video');
    if (video) {
      watch.disconnect();
      start(video);
    }
  });
  watch.observe(document, { childList: true, subtree: true });
  // Later previews (after hanging up) are the app's own business.
  document.addEventListener('DOMContentLoaded', () => watch.disconnect(), { once: true });
})();
