// Nothing here fetches from the network at build or run time (no next/font/google, no
// remote images), so `next build` works offline. Telemetry is off in package.json's
// scripts (NEXT_TELEMETRY_DISABLED=1).
/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // The example lives inside a Rust workspace with its own lockfiles: trace from here.
  outputFileTracingRoot: import.meta.dirname,
  turbopack: { root: import.meta.dirname },
};

export default nextConfig;
