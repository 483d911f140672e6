/* The print layout of a report opens the browser's print dialogue once it has
   loaded (not in headless Chromium, which makes the PDF itself). */
window.addEventListener("load", function () {
  if (!/HeadlessChrome/.test(navigator.userAgent)) { window.print(); }
});
