// Written by `make mathjax` only when npm was not available to fetch MathJax at build time.
// It loads MathJax from a CDN instead, so math needs a network connection to display.
console.warn("mle-tutorial: MathJax was not fetched at build time (npm unavailable); loading it from a CDN.");
(function () {
  var script = document.createElement("script");
  script.src = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml-full.js";
  script.async = true;
  document.head.appendChild(script);
})();
