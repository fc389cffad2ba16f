from kivy.uix.screenmanager import Screen


class CopiesScreen(Screen):
    pass
