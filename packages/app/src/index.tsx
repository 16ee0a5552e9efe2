import '@backstage/cli/asset-types';
// Backstage's global stylesheet (fonts, resets, layout); @backstage/theme 0.7 no longer brings it.
import '@backstage/ui/css/styles.css';
import ReactDOM from 'react-dom/client';
import App from './App';

ReactDOM.createRoot(document.getElementById('root')!).render(<App />);
