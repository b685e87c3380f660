import type { ReactNode } from 'react';

export const metadata = { title: 'AppSync Events · Next.js example' };

// System fonts only: nothing is fetched at build time (no next/font/google).
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', margin: '2rem', maxWidth: '48rem' }}>
        {children}
      </body>
    </html>
  );
}
