import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { createAuth } from './auth';
import { ConfigError, loadConfig } from './config';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <App config={config} auth={createAuth(config)} />
      </StrictMode>,
    ),
  (error: unknown) =>
    root.render(
      <main className="page">
        <div className="message message-error" role="alert">
          <h1>The console is not configured</h1>
          <p>{error instanceof ConfigError ? error.message : String(error)}</p>
        </div>
      </main>,
    ),
);
