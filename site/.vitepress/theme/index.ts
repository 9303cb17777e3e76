// The default theme with the site's few styles (English titles beside the Chinese ones).
import DefaultTheme from 'vitepress/theme';
import './custom.css';

export default DefaultTheme;
