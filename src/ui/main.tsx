// The browser assistant's entry point: styles, the store's link to the bridge, and the page.
import { render } from 'preact';
import './styles.css';
import './css/controls.css';
import './css/layout.css';
import './css/builder.css';
import './css/workspace.css';
import './css/sequences.css';
import './css/capture.css';
import { store } from './store.js';
import { App } from './components/app.js';

store.start();
render(<App />, document.getElementById('app')!);
