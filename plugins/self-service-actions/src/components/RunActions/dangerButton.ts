import { makeStyles } from '@material-ui/core/styles';

/** A contained button in the theme's error colour (MUI v4 Button has no `error` colour). */
export const useDangerButtonStyles = makeStyles(theme => ({
  danger: {
    color: theme.palette.error.contrastText,
    backgroundColor: theme.palette.error.main,
    '&:hover': { backgroundColor: theme.palette.error.dark },
  },
}));
